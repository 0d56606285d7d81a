package thingspace

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"
)

// The canonical form of a callback, from which DeliveryKey is computed.
//
// It is the JSON that json.Marshal writes for the message decoded into maps (numbers kept as
// written, json.Number) after every object key is put in canonical form (canonicalFieldName) and
// every identifier kind in lower case: keys sorted, no spaces, strings escaped as json.Marshal
// escapes them (HTML characters included). Keys stored by earlier versions are the same bytes'
// digest, so their redeliveries are still recognised.
//
// A relay computes it for every callback, so it is written straight from the raw bytes of the
// fields the ingest decoded once, instead of decoding them again into maps and encoding those:
// that cost more than all the rest of storing a callback.

// canonicalForm is the canonical form of a callback's top-level fields, callbackCount left out.
func canonicalForm(fields map[string]json.RawMessage) []byte {
	type field struct {
		canonical, name string
		raw             json.RawMessage
	}
	sorted := make([]field, 0, len(fields))
	size := 2
	for name, raw := range fields {
		if key := canonicalFieldName(name); key != fieldCallbackCount {
			sorted = append(sorted, field{key, name, raw})
			size += len(key) + len(raw) + 4
		}
	}
	slices.SortFunc(sorted, func(a, b field) int {
		if c := strings.Compare(a.canonical, b.canonical); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	c := newCanonicalWriter(size) // seldom longer than the fields as sent
	c.buf = append(c.buf, '{')
	for i, f := range sorted {
		if i+1 < len(sorted) && sorted[i+1].canonical == f.canonical {
			continue // a later spelling of the same field counts
		}
		if len(c.buf) > 1 {
			c.buf = append(c.buf, ',')
		}
		c.buf = appendJSONString(c.buf, f.canonical)
		c.buf = append(c.buf, ':')
		c.topLevelValue(f.raw)
	}
	return append(c.buf, '}')
}

// maxCanonicalDepth is encoding/json's own nesting limit: deeper values were never decoded.
const maxCanonicalDepth = 10000

// canonicalWriter writes the canonical form of JSON values into buf.
type canonicalWriter struct {
	buf []byte
	// members is a stack of the members of the objects being written, each object's above its
	// parent's; reorder is where an object's members are put in order.
	members []canonicalMember
	reorder []byte
	// keys holds the canonical keys of the members, which refer to them by offset.
	keys []byte
}

// canonicalMember is a member of an object already written to buf[start:end], as `"key":value`;
// its canonical key is keys[keyStart:keyEnd].
type canonicalMember struct {
	keyStart, keyEnd, start, end int
}

func newCanonicalWriter(size int) *canonicalWriter {
	return &canonicalWriter{
		buf:     make([]byte, 0, size),
		reorder: make([]byte, 0, size),
		keys:    make([]byte, 0, 256),
		members: make([]canonicalMember, 0, 32),
	}
}

// topLevelValue writes a top-level field's value. One that is not a single JSON value is written
// as a string of its bytes, as it always was.
func (c *canonicalWriter) topLevelValue(raw []byte) {
	start := len(c.buf)
	rest, ok := c.value(raw, 0)
	if ok && len(skipSpace(rest)) == 0 {
		return
	}
	c.buf = appendJSONString(c.buf[:start], string(raw))
}

// value writes the JSON value at the start of data and returns what follows it; ok is false when
// data does not start with one.
func (c *canonicalWriter) value(data []byte, depth int) (rest []byte, ok bool) {
	data = skipSpace(data)
	if len(data) == 0 || depth > maxCanonicalDepth {
		return nil, false
	}
	switch data[0] {
	case '{':
		return c.object(data[1:], depth+1)
	case '[':
		return c.array(data[1:], depth+1)
	case '"':
		literal, rest, ok := cutString(data)
		if !ok {
			return nil, false
		}
		if htmlSafeASCII(literal[1 : len(literal)-1]) {
			c.buf = append(c.buf, literal...) // already as json.Marshal writes it
			return rest, true
		}
		s, ok := decodeString(literal)
		c.buf = appendJSONString(c.buf, s)
		return rest, ok
	}
	n := 0
	for n < len(data) && isLiteralByte(data[n]) {
		n++
	}
	if !validLiteral(data[:n]) {
		return nil, false
	}
	c.buf = append(c.buf, data[:n]...) // numbers as written, as json.Number keeps them
	return data[n:], true
}

func (c *canonicalWriter) array(data []byte, depth int) ([]byte, bool) {
	c.buf = append(c.buf, '[')
	data = skipSpace(data)
	if len(data) > 0 && data[0] == ']' {
		c.buf = append(c.buf, ']')
		return data[1:], true
	}
	for {
		var ok bool
		if data, ok = c.value(data, depth); !ok {
			return nil, false
		}
		data = skipSpace(data)
		if len(data) == 0 {
			return nil, false
		}
		switch data[0] {
		case ',':
			c.buf = append(c.buf, ',')
			data = data[1:]
		case ']':
			c.buf = append(c.buf, ']')
			return data[1:], true
		default:
			return nil, false
		}
	}
}

// object writes the members in canonical form as they come, then puts them in order of their
// canonical keys, keeping the last of members that share one.
func (c *canonicalWriter) object(data []byte, depth int) ([]byte, bool) {
	objStart, base := len(c.buf), len(c.members)
	defer func() { c.members = c.members[:base] }()
	data = skipSpace(data)
	if len(data) > 0 && data[0] == '}' {
		c.buf = append(c.buf, '{', '}')
		return data[1:], true
	}
	for {
		literal, rest, ok := cutString(skipSpace(data))
		if !ok {
			return nil, false
		}
		keyStart, keyEnd, ok := c.key(literal)
		if !ok {
			return nil, false
		}
		key := c.keys[keyStart:keyEnd]
		data = skipSpace(rest)
		if len(data) == 0 || data[0] != ':' {
			return nil, false
		}
		start := len(c.buf)
		c.buf = appendJSONString(c.buf, key)
		c.buf = append(c.buf, ':')
		if data, ok = c.memberValue(key, data[1:], depth); !ok {
			return nil, false
		}
		c.members = append(c.members, canonicalMember{keyStart, keyEnd, start, len(c.buf)})
		data = skipSpace(data)
		if len(data) == 0 {
			return nil, false
		}
		if data[0] == '}' {
			data = data[1:]
			break
		}
		if data[0] != ',' {
			return nil, false
		}
		data = data[1:]
	}
	members := c.members[base:]
	key := func(m canonicalMember) []byte { return c.keys[m.keyStart:m.keyEnd] }
	slices.SortStableFunc(members, func(a, b canonicalMember) int { return bytes.Compare(key(a), key(b)) })
	c.reorder = append(c.reorder[:0], '{')
	for i, m := range members {
		if i+1 < len(members) && bytes.Equal(key(members[i+1]), key(m)) {
			continue // a later member with the same key replaces it, as in a decoded map
		}
		if len(c.reorder) > 1 {
			c.reorder = append(c.reorder, ',')
		}
		c.reorder = append(c.reorder, c.buf[m.start:m.end]...)
	}
	c.reorder = append(c.reorder, '}')
	c.buf = append(c.buf[:objStart], c.reorder...)
	return data, true
}

// memberValue writes an object member's value: an identifier kind (a string under "kind") in
// lower case, since ThingSpace writes `eid` on one page and `EID` on another.
func (c *canonicalWriter) memberValue(key []byte, data []byte, depth int) ([]byte, bool) {
	data = skipSpace(data)
	if string(key) != "kind" || len(data) == 0 || data[0] != '"' {
		return c.value(data, depth)
	}
	literal, rest, ok := cutString(data)
	if !ok {
		return nil, false
	}
	if kind := literal[1 : len(literal)-1]; htmlSafeASCII(kind) {
		c.buf = append(c.buf, '"')
		c.buf = appendLowerASCII(c.buf, kind)
		c.buf = append(c.buf, '"')
		return rest, true
	}
	kind, ok := decodeString(literal)
	c.buf = appendJSONString(c.buf, strings.ToLower(kind))
	return rest, ok
}

func skipSpace(data []byte) []byte {
	for len(data) > 0 && (data[0] == ' ' || data[0] == '\t' || data[0] == '\n' || data[0] == '\r') {
		data = data[1:]
	}
	return data
}

// cutString splits the JSON string literal at the start of data (quotes included) from what
// follows it.
func cutString(data []byte) (literal, rest []byte, ok bool) {
	if len(data) == 0 || data[0] != '"' {
		return nil, nil, false
	}
	for i := 1; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++ // the escaped byte cannot end the string
		case '"':
			return data[:i+1], data[i+1:], true
		}
	}
	return nil, nil, false
}

// key appends the canonical form (canonicalFieldName) of the object key literal to keys, and
// says where it is. A plain ASCII key, the usual one, is lowered byte by byte, without the
// strings canonicalFieldName would allocate.
func (c *canonicalWriter) key(literal []byte) (start, end int, ok bool) {
	start = len(c.keys)
	name := literal[1 : len(literal)-1]
	if !htmlSafeASCII(name) {
		s, ok := decodeString(literal)
		c.keys = append(c.keys, canonicalFieldName(s)...)
		return start, len(c.keys), ok
	}
	c.keys = appendLowerASCII(c.keys, name)
	if alias, ok := fieldAliases[string(c.keys[start:])]; ok {
		c.keys = append(c.keys[:start], alias...)
	}
	return start, len(c.keys), true
}

// appendLowerASCII appends b in lower case; for ASCII it is what strings.ToLower does.
func appendLowerASCII(dst, b []byte) []byte {
	for _, ch := range b {
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		dst = append(dst, ch)
	}
	return dst
}

// decodeString decodes a JSON string literal. Most are plain text without escapes, read as they
// are; the rest go through encoding/json, which knows every escape.
func decodeString(literal []byte) (string, bool) {
	if n := len(literal); n >= 2 && literal[0] == '"' && literal[n-1] == '"' && plainText(literal[1:n-1]) {
		return string(literal[1 : n-1]), true
	}
	var s string
	if json.Unmarshal(literal, &s) != nil {
		return "", false
	}
	return s, true
}

// plainText reports whether the inside of a string literal means itself: valid UTF-8 with no
// escapes, quotes or control characters.
func plainText(b []byte) bool {
	for _, ch := range b {
		if ch < 0x20 || ch == '"' || ch == '\\' {
			return false
		}
	}
	return utf8.Valid(b)
}

// htmlSafeASCII reports whether json.Marshal writes these string contents unchanged: ASCII, and
// nothing it escapes (quotes, backslashes, control characters and, by default, < > &).
func htmlSafeASCII[T string | []byte](b T) bool {
	for i := range len(b) {
		if ch := b[i]; ch < 0x20 || ch >= utf8.RuneSelf || ch == '"' || ch == '\\' || ch == '<' || ch == '>' || ch == '&' {
			return false
		}
	}
	return true
}

// appendJSONString appends s as json.Marshal writes it.
func appendJSONString[T string | []byte](dst []byte, s T) []byte {
	if htmlSafeASCII(s) {
		dst = append(dst, '"')
		dst = append(dst, s...)
		return append(dst, '"')
	}
	b, _ := json.Marshal(string(s)) // a string always encodes
	return append(dst, b...)
}

// isLiteralByte reports whether b can be part of a number, true, false or null.
func isLiteralByte(b byte) bool {
	return 'a' <= b && b <= 'z' || '0' <= b && b <= '9' || b == '-' || b == '+' || b == '.' || b == 'E'
}

func validLiteral(b []byte) bool {
	switch string(b) {
	case "true", "false", "null":
		return true
	}
	return validNumber(b)
}

// validNumber reports whether b is a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumber(b []byte) bool {
	digits := func(b []byte) ([]byte, int) {
		n := 0
		for n < len(b) && '0' <= b[n] && b[n] <= '9' {
			n++
		}
		return b[n:], n
	}
	if len(b) > 0 && b[0] == '-' {
		b = b[1:]
	}
	if len(b) > 0 && b[0] == '0' {
		b = b[1:]
	} else if rest, n := digits(b); n > 0 {
		b = rest
	} else {
		return false
	}
	if len(b) > 0 && b[0] == '.' {
		rest, n := digits(b[1:])
		if n == 0 {
			return false
		}
		b = rest
	}
	if len(b) > 0 && (b[0] == 'e' || b[0] == 'E') {
		b = b[1:]
		if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
			b = b[1:]
		}
		rest, n := digits(b)
		if n == 0 {
			return false
		}
		b = rest
	}
	return len(b) == 0
}
