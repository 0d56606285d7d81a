package relay

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Query parameters of GET /v1/requests/{requestId}.
const (
	paramAfter = "after"
	paramWait  = "wait"
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
	if q.wait > 0 && canPark(w, r) && s.longPollParked(w, q) {
		return
	}
	callbacks, err := s.longPoll(r.Context(), q)
	if err != nil && r.Context().Err() != nil {
		return // the reader left; nobody to answer
	}
	status, body := s.pageAnswer(q, callbacks, err)
	writeRaw(w, status, body)
}

// pageAnswer is the status and JSON body answering q with callbacks (or the error that
// prevented reading them).
func (s *Server) pageAnswer(q readQuery, callbacks []Callback, err error) (int, []byte) {
	if err != nil {
		s.log.Error("read failed", "request_id", q.requestID, "error", err)
		return http.StatusServiceUnavailable, encodeJSON(errorBody{Error: "the store could not be read; retry later"})
	}
	page := Page{RequestID: q.requestID, Callbacks: callbacks, Next: q.after}
	if n := len(callbacks); n > 0 {
		page.Next = callbacks[n-1].Seq
	} else {
		page.Callbacks = []Callback{}
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
	if !ValidRequestID(requestID) {
		return q, fmt.Errorf("request id is not acceptable: %s", requestIDRule)
	}
	for name, vals := range values {
		if name != paramAfter && name != paramWait {
			return q, fmt.Errorf("unknown query parameter %q: only %q and %q are accepted", name, paramAfter, paramWait)
		}
		if len(vals) > 1 {
			return q, fmt.Errorf("query parameter %q is given %d times; give it once", name, len(vals))
		}
	}
	var err error
	if values.Has(paramAfter) {
		if q.after, err = parseAfter(values.Get(paramAfter)); err != nil {
			return q, err
		}
	}
	if values.Has(paramWait) {
		if q.wait, err = parseWait(values.Get(paramWait)); err != nil {
			return q, err
		}
	}
	return q, nil
}

func parseAfter(s string) (int64, error) {
	bad := fmt.Errorf("after must be a non-negative integer sequence number (the previous answer's next), not %q", truncate(s, 40))
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
	if err != nil || d < 0 || d > MaxWait {
		return 0, fmt.Errorf("wait must be a duration such as 25s, between 0s and %.0fs, not %q", MaxWait.Seconds(), truncate(s, 40))
	}
	return d, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// longPoll returns the callbacks after q.after, waiting up to q.wait for the first one, in the
// handler's goroutine (for HTTP/2, where a connection cannot be taken over). It watches before
// querying, so a callback committed between the query and the wait still wakes it; and every
// wake-up is followed by a fresh query, so a spurious or lost one changes nothing.
func (s *Server) longPoll(ctx context.Context, q readQuery) ([]Callback, error) {
	var wake <-chan struct{}
	if q.wait > 0 {
		var notify func()
		wake, notify = wakeChannel()
		defer s.store.Watch(q.requestID, notify)()
	}
	callbacks, err := s.list(ctx, q)
	if err != nil || len(callbacks) > 0 || q.wait == 0 {
		return callbacks, err
	}
	s.metrics.waitingReaders.Inc()
	defer s.metrics.waitingReaders.Dec()
	timer := time.NewTimer(q.wait)
	defer timer.Stop()
	for {
		select {
		case <-wake:
		case <-timer.C:
			return s.list(ctx, q)
		case <-s.closing:
			return s.list(ctx, q)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		callbacks, err := s.list(ctx, q)
		if err != nil || len(callbacks) > 0 {
			return callbacks, err
		}
	}
}

func (s *Server) list(ctx context.Context, q readQuery) ([]Callback, error) {
	start := time.Now()
	callbacks, err := s.store.List(ctx, q.requestID, q.after, pageLimit)
	s.metrics.observeStore("list", start, err)
	return callbacks, err
}
