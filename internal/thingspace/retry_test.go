package thingspace

import (
	"errors"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		value string
		want  time.Duration
		ok    bool
	}{
		{"7", 7 * time.Second, true},
		{" 0 ", 0, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{"", 0, false},
		{"-3", 0, false},
		{"soon", 0, false},
		{"99999999999", 0, false},
	}
	for _, tc := range cases {
		got, ok := retryAfter(tc.value, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tc.value, got, ok, tc.want, tc.ok)
		}
	}
}

func TestRetryPolicy(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	reset := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	eof := errors.New("EOF")
	cases := []struct {
		policy retryPolicy
		status int
		err    error
		want   bool
	}{
		{retryIdempotent, 429, nil, true},
		{retryIdempotent, 500, nil, true},
		{retryIdempotent, 504, nil, true},
		{retryIdempotent, 0, reset, true},
		{retryIdempotent, 0, eof, true},
		{retryIdempotent, 400, nil, false},
		{retryIdempotent, 401, nil, false},
		{retryUnsafe, 429, nil, true},
		{retryUnsafe, 503, nil, true},
		{retryUnsafe, 0, refused, true},
		{retryUnsafe, 500, nil, false},
		{retryUnsafe, 502, nil, false},
		{retryUnsafe, 504, nil, false},
		{retryUnsafe, 0, reset, false},
		{retryUnsafe, 0, eof, false},
		{retryNever, 429, nil, false},
		{retryNever, 503, nil, false},
		{retryNever, 0, refused, false},
	}
	for _, tc := range cases {
		if got, reason := tc.policy.retryable(tc.status, tc.err); got != tc.want || reason == "" {
			t.Errorf("policy %d, status %d, error %v: retry %v (%q), want %v", tc.policy, tc.status, tc.err, got, reason, tc.want)
		}
	}
}

func TestFullJitterStaysWithinItsCeiling(t *testing.T) {
	for range 1000 {
		if d := fullJitter(10 * time.Millisecond); d < 0 || d > 10*time.Millisecond {
			t.Fatalf("fullJitter(10ms) = %v", d)
		}
	}
}
