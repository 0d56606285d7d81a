package thingspace

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Envelope names, the value of Error.Envelope.
const (
	EnvelopeM2M     = "m2m"
	EnvelopeGateway = "gateway"
	EnvelopeOAuth   = "oauth"
)

// maxSnippetRunes bounds the part of an unrecognised body that an error keeps: enough to show
// what a proxy or load balancer said, too little to flood a Terraform diagnostic.
const maxSnippetRunes = 160

// Error is an answer from ThingSpace that was not a success. It decodes the three envelopes
// ThingSpace uses (M2M errorCode/errorMessage, the gateway's fault, OAuth's error) and falls back
// to a bare numeric code or a short snippet of anything else. It never holds a request body or
// header, and server messages are scrubbed of every secret the client knows, so its text is safe
// to show and log.
type Error struct {
	HTTPStatus int
	// Envelope is EnvelopeM2M, EnvelopeGateway, EnvelopeOAuth, or "" for anything else.
	Envelope string
	// Code is the code as received ("UnifiedWebService.REQUEST_FAILED.SessionToken.Expired");
	// ShortCode is the same without its service prefix ("REQUEST_FAILED.SessionToken.Expired"),
	// the part to match on, since the service name varies between endpoints.
	Code, ShortCode string
	Message         string
	// Operation says what was being done, in words ("enable profile", "login").
	Operation string
	// Hint says what the user can do about it, when the client knows better than the server.
	Hint string
	// Attempts is how many times the request was sent; more than one means it was retried.
	Attempts int
	// OutcomeUnknown marks an answer after which ThingSpace may have acted on the request
	// (see ErrOutcomeUnknown).
	OutcomeUnknown bool
}

// Is makes errors.Is(err, ErrOutcomeUnknown) hold for an answer that leaves the outcome unknown.
func (e *Error) Is(target error) bool { return target == ErrOutcomeUnknown && e.OutcomeUnknown }

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: ThingSpace answered HTTP %d", e.Operation, e.HTTPStatus)
	if t := http.StatusText(e.HTTPStatus); t != "" {
		fmt.Fprintf(&b, " %s", t)
	}
	if e.Code != "" {
		fmt.Fprintf(&b, " (%s)", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (gave up after %d attempts)", e.Attempts)
	}
	if e.Hint != "" {
		return Sentence(b.String()) + " " + e.Hint
	}
	return b.String()
}

// Sentence ends text with one full stop, adding it only when missing: error texts end either
// way (server messages often carry their own), and a message built from one must not show two.
func Sentence(text string) string {
	if strings.HasSuffix(text, ".") || text == "" {
		return text
	}
	return text + "."
}

// ErrorCode returns the ShortCode of the *Error wrapped in err, or "".
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.ShortCode
	}
	return ""
}

// decodeError turns a non-success answer into an *Error. secrets are scrubbed from every text
// taken from the body, because servers sometimes echo what they were sent.
func decodeError(op string, status int, body []byte, secrets []string) *Error {
	e := &Error{HTTPStatus: status, Operation: op}
	e.Envelope, e.Code, e.Message = decodeEnvelope(body)
	// Scrubbed before and after sanitising: before, so truncation cannot leave half a secret;
	// after, so folding white space cannot assemble one.
	e.Code = scrub(sanitise(scrub(e.Code, secrets)), secrets)
	e.Message = scrub(sanitise(scrub(e.Message, secrets)), secrets)
	e.ShortCode = shortCode(e.Code)
	if e.Code == "" && !json.Valid(body) && onlyRepeatsStatus(e.Message, status) {
		e.Message = "" // a proxy's "502 Bad Gateway" page adds nothing to the status
	}
	return e
}

func onlyRepeatsStatus(message string, status int) bool {
	rest := strings.NewReplacer(strconv.Itoa(status), "", http.StatusText(status), "").Replace(message)
	return strings.TrimSpace(rest) == ""
}

// envelopeProbe has the fields of all three envelopes, so one decode tells them apart.
type envelopeProbe struct {
	M2MError
	Fault *struct {
		Code        any    `json:"code"`
		Message     string `json:"message"`
		Description string `json:"description"`
	} `json:"fault"`
	OAuthCode        any    `json:"error"`
	ErrorDescription string `json:"error_description"`
	// Message is what throttling proxies send ({"message":"Too Many Requests"}).
	Message string `json:"message"`
}

func decodeEnvelope(body []byte) (envelope, code, message string) {
	trimmed := bytes.TrimSpace(body)
	if code, ok := bareNumericCode(trimmed); ok {
		return "", code, ""
	}
	var p envelopeProbe
	if json.Unmarshal(trimmed, &p) != nil {
		return "", "", string(trimmed)
	}
	switch {
	case p.ErrorCode != "":
		return EnvelopeM2M, p.ErrorCode, p.ErrorMessage
	case p.Fault != nil:
		return EnvelopeGateway, codeString(p.Fault.Code), firstNonEmpty(p.Fault.Description, p.Fault.Message)
	case p.OAuthCode != nil:
		if s, ok := p.OAuthCode.(string); ok {
			return EnvelopeOAuth, s, p.ErrorDescription
		}
	case p.Message != "":
		return "", "", p.Message
	}
	return "", "", string(trimmed)
}

// bareNumericCode recognises the bodies some endpoints send instead of an envelope: a number,
// bare or as a JSON string.
func bareNumericCode(body []byte) (string, bool) {
	s := string(body)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	if s == "" || len(s) > 32 || !allDigits(s) {
		return "", false
	}
	return s, true
}

// shortCode drops the service prefix of an M2M code. Service names are CamelCase
// ("UnifiedWebService") and categories are upper case ("REQUEST_FAILED"), so the short code
// starts at the first all-upper-case segment; a code without one is kept whole.
func shortCode(code string) string {
	segments := strings.Split(code, ".")
	for i, s := range segments {
		if isCategory(s) {
			return strings.Join(segments[i:], ".")
		}
	}
	return code
}

func isCategory(s string) bool {
	hasLetter := false
	for _, r := range s {
		switch {
		case r >= 'A' && r <= 'Z':
			hasLetter = true
		case r == '_' || (r >= '0' && r <= '9'):
		default:
			return false
		}
	}
	return hasLetter
}

// sanitise makes server text fit for one line of a diagnostic: markup dropped, control
// characters and runs of white space folded, invalid UTF-8 replaced, length bounded.
func sanitise(s string) string {
	s = strings.ToValidUTF8(stripTags(s), "?")
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
	if utf8.RuneCountInString(s) > maxSnippetRunes {
		s = string([]rune(s)[:maxSnippetRunes]) + "..."
	}
	return s
}

// stripTags removes anything between < and >, so an HTML error page from a proxy keeps only its
// words.
func stripTags(s string) string {
	if !strings.Contains(s, "<") {
		return s
	}
	var b strings.Builder
	inTag := false
	for _, r := range s {
		switch {
		case r == '<':
			inTag = true
		case r == '>' && inTag:
			inTag = false
			b.WriteByte(' ')
		case !inTag:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// scrub replaces every occurrence of a known secret with "***".
func scrub(s string, secrets []string) string {
	for _, secret := range secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "***")
		}
	}
	return s
}

// codeString renders a gateway code, which may arrive as a JSON string or number.
func codeString(v any) string {
	switch c := v.(type) {
	case string:
		return c
	case float64:
		return strconv.FormatFloat(c, 'f', -1, 64)
	}
	return ""
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
