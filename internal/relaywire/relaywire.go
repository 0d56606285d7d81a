// Package relaywire is the relay's HTTP interface as both of its sides see it: the page of
// callbacks a reader is served, the request-id rule, the limits and the query parameter names.
//
// It exists so the provider can read from the relay without linking the relay's server, its
// stores and their drivers: the server (internal/relay) and the client (internal/relayclient)
// both depend on this package, and on nothing of each other.
package relaywire

import (
	"encoding/json"
	"fmt"
	"regexp"
	"time"
)

// Paths and query parameters of the relay's HTTP interface.
const (
	// CallbacksPath is where ThingSpace POSTs callbacks.
	CallbacksPath = "/callbacks"
	// RequestsPath is the prefix of GET RequestsPath + "{requestId}".
	RequestsPath = "/v1/requests/"

	ParamAfter = "after" // the previous page's Next
	ParamWait  = "wait"  // how long to hold the read open when nothing is new, a Go duration
)

// Limits both sides rely on.
const (
	// MaxWait is the longest a reader may ask a long-poll to be held open. It stays below
	// every sensible proxy idle timeout and below the server's write timeout.
	MaxWait = 60 * time.Second
	// PageLimit bounds one read, so a request with a pathological number of callbacks cannot
	// make one answer huge; the reader simply continues from Next.
	PageLimit = 500
)

// Callback is one stored callback as readers see it.
type Callback struct {
	// Seq orders the callbacks of one request: strictly increasing in commit order, so a reader
	// that resumes after the highest Seq it saw can never miss one. Gaps are possible.
	Seq int64 `json:"seq"`
	// ReceivedAt is when the callback was stored (microsecond precision).
	ReceivedAt time.Time `json:"receivedAt"`
	// Payload is the callback body without the echoed listener credentials.
	Payload json.RawMessage `json:"payload"`
}

// Page is the answer to one read: the callbacks after a sequence number, oldest first.
type Page struct {
	RequestID string     `json:"requestId"`
	Callbacks []Callback `json:"callbacks"`
	// Next is the highest Seq returned, or the reader's `after` when none was: pass it back as
	// `after` to continue.
	Next int64 `json:"next"`
}

// ErrorBody is the JSON body of every answer other than 200.
type ErrorBody struct {
	Error string `json:"error"`
}

// requestIDPattern is the set of request ids the relay accepts. ThingSpace's are UUIDs; the
// charset is kept narrow so an id is always safe in a URL path, a log line and a SQL parameter,
// and never "." or "..".
var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`)

// RequestIDRule says in words what CheckRequestID enforces.
const RequestIDRule = "letters, digits and . _ : - only, starting with a letter or digit, at most 128 characters"

// CheckRequestID returns nil for a request id the relay stores and serves, and otherwise an
// error that quotes the id (shortened) and states the rule.
func CheckRequestID(id string) error {
	if requestIDPattern.MatchString(id) {
		return nil
	}
	return fmt.Errorf("requestId %q is not acceptable: %s", Truncate(id, 140), RequestIDRule)
}

// Truncate shortens s to n bytes for an error message, marking the cut.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
