package relay

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/relaywire"
)

// readQuery is a validated read request.
type readQuery struct {
	requestID string
	after     int64
	wait      time.Duration
}

func (s *Server) handleRead(w http.ResponseWriter, r *http.Request) {
	if !s.readAuthorized(r) {
		s.metrics.authFailures.WithLabelValues(endpointRead).Inc()
		s.log.Warn("read refused: missing or wrong bearer token", "remote", r.RemoteAddr)
		w.Header().Set("WWW-Authenticate", `Bearer realm="thingspace-relay"`)
		writeError(w, http.StatusUnauthorized, "send the relay's read token as Authorization: Bearer <token> (provider: relay_token or THINGSPACE_RELAY_TOKEN)")
		return
	}
	q, err := parseReadQuery(r.PathValue("requestId"), r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	var callbacks []relaywire.Callback
	switch {
	case q.wait == 0:
		callbacks, err = s.list(r.Context(), q)
	case canPark(w, r) && s.longPollParked(w, q):
		return
	default:
		callbacks, err = s.longPollHeld(r.Context(), q)
	}
	if err != nil && r.Context().Err() != nil {
		return // the reader left; nobody to answer
	}
	status, body := s.pageAnswer(q, callbacks, err)
	writeRaw(w, status, body)
}

// pageAnswer is the status and JSON body answering q with callbacks (or the error that
// prevented reading them).
func (s *Server) pageAnswer(q readQuery, callbacks []relaywire.Callback, err error) (int, []byte) {
	if err != nil {
		s.log.Error("read failed", "request_id", q.requestID, "error", err)
		return http.StatusServiceUnavailable, encodeJSON(relaywire.ErrorBody{Error: "the store could not be read; retry later"})
	}
	page := relaywire.Page{RequestID: q.requestID, Callbacks: callbacks, Next: q.after}
	if n := len(callbacks); n > 0 {
		page.Next = callbacks[n-1].Seq
	} else {
		page.Callbacks = []relaywire.Callback{}
	}
	return http.StatusOK, encodeJSON(page)
}

func (s *Server) readAuthorized(r *http.Request) bool {
	if !s.checkReadAuth {
		return true
	}
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	return equalSecret(strings.TrimSpace(token), s.readToken)
}

// parseReadQuery accepts exactly the documented parameters, each at most once, and says what is
// wrong with anything else.
func parseReadQuery(requestID string, values url.Values) (readQuery, error) {
	q := readQuery{requestID: requestID}
	if err := relaywire.CheckRequestID(requestID); err != nil {
		return q, err
	}
	for name, vals := range values {
		if name != relaywire.ParamAfter && name != relaywire.ParamWait {
			return q, fmt.Errorf("unknown query parameter %q: only %q and %q are accepted", name, relaywire.ParamAfter, relaywire.ParamWait)
		}
		if len(vals) > 1 {
			return q, fmt.Errorf("query parameter %q is given %d times; give it once", name, len(vals))
		}
	}
	var err error
	if values.Has(relaywire.ParamAfter) {
		if q.after, err = parseAfter(values.Get(relaywire.ParamAfter)); err != nil {
			return q, err
		}
	}
	if values.Has(relaywire.ParamWait) {
		if q.wait, err = parseWait(values.Get(relaywire.ParamWait)); err != nil {
			return q, err
		}
	}
	return q, nil
}

func parseAfter(s string) (int64, error) {
	bad := fmt.Errorf("after must be a non-negative integer sequence number (the previous answer's next), not %q", relaywire.Truncate(s, 40))
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, bad
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, bad
	}
	return n, nil
}

func parseWait(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || d > relaywire.MaxWait {
		return 0, fmt.Errorf("wait must be a duration such as 25s, between 0s and %.0fs, not %q", relaywire.MaxWait.Seconds(), relaywire.Truncate(s, 40))
	}
	return d, nil
}

func (s *Server) list(ctx context.Context, q readQuery) ([]relaywire.Callback, error) {
	start := time.Now()
	callbacks, err := s.store.List(ctx, q.requestID, q.after, relaywire.PageLimit)
	s.metrics.observeStore("list", start, err)
	return callbacks, err
}
