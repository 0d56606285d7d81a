package thingspace

import (
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// retryPolicy says which failed attempts of a call may be sent again. This is the one place
// the rule lives:
//
//   - retryIdempotent (reads, listener list and delete, device list, request status, OAuth
//     token): repeating them changes nothing, so they are retried on 429, on any 5xx and on any
//     transport error, including timeouts and connections dropped mid-answer.
//   - retryUnsafe (the five profile actions, listener registration, logout): a repeat could act
//     twice, so they are retried only where ThingSpace cannot have acted: 429 (throttled
//     before handling), 503 (not available to handle it) and a failed dial (nothing was sent).
//     Never after 500, 502 or 504, a connection reset or EOF after the request was written, or
//     a timeout: the outcome is unknown and the caller must decide.
//   - retryNever (session login): five failed logins lock the account, so a login is sent once
//     and whatever comes back, even 429 or 5xx, is the answer.
//
// Every policy is bounded by Config.MaxRetries and by the caller's context. Authentication
// renewal (a refused bearer, an expired session) is not a retry: see Client.do.
type retryPolicy int

const (
	retryIdempotent retryPolicy = iota
	retryUnsafe
	retryNever
)

// retryable reports whether an attempt that got status (0 when there was no answer) or
// transportErr may be sent again under p, and why, for the log.
func (p retryPolicy) retryable(status int, transportErr error) (bool, string) {
	switch {
	case p == retryNever:
		return false, "this call is never repeated"
	case transportErr != nil && nothingSent(transportErr):
		return true, "the connection could not be opened, so nothing was sent"
	case transportErr != nil && p == retryIdempotent:
		return true, "transport error on a call that is safe to repeat"
	case transportErr != nil:
		return false, "the request may have reached ThingSpace, so repeating it could act twice"
	case status == http.StatusTooManyRequests:
		return true, "throttled"
	case status == http.StatusServiceUnavailable:
		return true, "service unavailable"
	case status >= 500 && p == retryIdempotent:
		return true, "server error on a call that is safe to repeat"
	case status >= 500:
		return false, "ThingSpace may have acted on the request, so repeating it could act twice"
	}
	return false, "the answer is final"
}

// nothingSent reports whether a transport error happened while connecting, before any byte of
// the request was written.
func nothingSent(err error) bool {
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}

// backoff is the wait before attempt number next (2 for the first retry): the server's
// Retry-After when it gave one, else exponential backoff with full jitter, so that many clients
// throttled together do not come back together.
func (c *Client) backoff(next int, header http.Header) time.Duration {
	if d, ok := retryAfter(header.Get("Retry-After"), c.now()); ok {
		return d
	}
	ceiling := c.cfg.RetryMaxDelay
	if shift := next - 2; shift < 20 {
		ceiling = min(ceiling, c.cfg.RetryMinDelay<<shift)
	}
	if ceiling <= 0 {
		return c.cfg.RetryMaxDelay
	}
	return c.jitter(ceiling)
}

// retryAfter parses a Retry-After header: delay seconds or an HTTP date.
func retryAfter(value string, now time.Time) (time.Duration, bool) {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(value, 10, 64); err == nil {
		if secs < 0 || secs > int64(24*time.Hour/time.Second) {
			return 0, false
		}
		return time.Duration(secs) * time.Second, true
	}
	at, err := http.ParseTime(value)
	if err != nil {
		return 0, false
	}
	return max(at.Sub(now), 0), true
}

// fullJitter picks a wait uniformly in [0, ceiling].
func fullJitter(ceiling time.Duration) time.Duration {
	return rand.N(ceiling + 1)
}
