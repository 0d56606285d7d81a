package thingspace

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// decodedCanonicalForm is the canonical form by its definition: every value decoded into maps
// (numbers as json.Number), keys put in canonical form and kinds in lower case, and encoded by
// json.Marshal. canonicalForm must give the same bytes without decoding anything; keys stored
// before it existed were the digest of these bytes.
func decodedCanonicalForm(t *testing.T, fields map[string]json.RawMessage) []byte {
	t.Helper()
	canonical := make(map[string]any, len(fields))
	for name, raw := range fields {
		if key := canonicalFieldName(name); key != fieldCallbackCount {
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.UseNumber()
			var v any
			if err := dec.Decode(&v); err != nil {
				t.Fatalf("field %q of a decoded object does not decode: %v", name, err)
			}
			canonical[key] = canonicalKeys(v)
		}
	}
	b, err := json.Marshal(canonical)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func canonicalKeys(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			key := canonicalFieldName(k)
			if kind, ok := e.(string); ok && key == "kind" {
				e = strings.ToLower(kind)
			}
			out[key] = canonicalKeys(e)
		}
		return out
	case []any:
		for i := range x {
			x[i] = canonicalKeys(x[i])
		}
	}
	return v
}

func decodeFields(t *testing.T, body string) map[string]json.RawMessage {
	t.Helper()
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &fields); err != nil {
		t.Fatal(err)
	}
	return fields
}

func TestCanonicalForm(t *testing.T) {
	for name, tc := range map[string]struct{ body, want string }{
		"sorted, count left out": {`{"status":"Success","requestId":"r","callbackCount":2}`, `{"requestid":"r","status":"Success"}`},
		"spellings and kinds": {`{"RequestId":"r","Device":[{"Kind":"EID","Identifier":"1"}]}`,
			`{"deviceids":[{"id":"1","kind":"eid"}],"requestid":"r"}`},
		"top-level kind kept":    {`{"kind":"EID"}`, `{"kind":"EID"}`},
		"kind that is no string": {`{"d":{"kind":5}}`, `{"d":{"kind":5}}`},
		"numbers as written":     {`{"n":[1.50,-0,1E5,true,false,null]}`, `{"n":[1.50,-0,1E5,true,false,null]}`},
		"spaces dropped":         {"{\"o\" : { \"b\" : [ 1 , {} , [ ] ] ,\n\"a\":\"x y\" } }", `{"o":{"a":"x y","b":[1,{},[]]}}`},
		"escaped as json.Marshal does": {`{"s":"<&>\u0041\"\\\/\n\u2028é","k":{"É<":1}}`,
			`{"k":{"é\u003c":1},"s":"\u003c\u0026\u003eA\"\\/\n\u2028é"}`},
		"plain HTML characters escaped": {`{"h":"a<b>&c","k":{"<":"x"}}`, `{"h":"a\u003cb\u003e\u0026c","k":{"\u003c":"x"}}`},
		"last duplicate counts":         {`{"o":{"a":1,"a":2}}`, `{"o":{"a":2}}`},
	} {
		t.Run(name, func(t *testing.T) {
			fields := decodeFields(t, tc.body)
			if got := canonicalForm(fields); string(got) != tc.want {
				t.Errorf("canonicalForm = %s\nwant            %s", got, tc.want)
			}
			if got, want := canonicalForm(fields), decodedCanonicalForm(t, fields); !bytes.Equal(got, want) {
				t.Errorf("canonicalForm = %s, but by its definition %s", got, want)
			}
		})
	}
}

// FuzzCanonicalForm checks canonicalForm against its definition on any JSON object, except
// where two spellings of one key meet in an object: there the decoded maps keep one at random.
func FuzzCanonicalForm(f *testing.F) {
	f.Add([]byte(`{"RequestId":"r","Device":[{"Kind":"EID","Identifier":"1"}],"Status":"Success","CallbackCount":3}`))
	f.Add([]byte(`{"a":"<b>&amp;\u2028\u0041é\ud800","n":[1.50,-0,1e5,true,false,null,{}],"o":{"Z":{"kind":"ÉID"},"a":[]}}`))
	f.Add([]byte(`{"x":"\"\\\/\b\f\n\r\t","y":" spaced ", "z" : { "k" : [ 1 , 2 ] }, "dup":{"a":1,"a":2}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var fields map[string]json.RawMessage
		if json.Unmarshal(body, &fields) != nil || fields == nil || twoSpellings(body) {
			return
		}
		if got, want := canonicalForm(fields), decodedCanonicalForm(t, fields); !bytes.Equal(got, want) {
			t.Fatalf("canonicalForm = %s, but by its definition %s", got, want)
		}
	})
}

// twoSpellings reports whether an object in the JSON value body has two keys that differ but
// have one canonical form.
func twoSpellings(body []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	var walk func() bool
	walk = func() bool {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]string{}
			for dec.More() {
				tok, _ := dec.Token()
				name, _ := tok.(string)
				key := canonicalFieldName(name)
				if other, ok := seen[key]; ok && other != name {
					return true
				}
				seen[key] = name
				if walk() {
					return true
				}
			}
			_, _ = dec.Token()
		case json.Delim('['):
			for dec.More() {
				if walk() {
					return true
				}
			}
			_, _ = dec.Token()
		}
		return false
	}
	return walk()
}

func BenchmarkDeliveryKey(b *testing.B) {
	fields := map[string]json.RawMessage{}
	if err := json.Unmarshal(sourceDocumentCallback(b), &fields); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		DeliveryKey(fields)
	}
}
