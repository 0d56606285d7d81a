package relay

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// flakyProxy fronts a relay and answers the first `failures` requests itself with failStatus
// (0 drops the connection instead), counting every request it sees.
type flakyProxy struct {
	failures   int32
	failStatus int
	seen       atomic.Int32
}

func (f *flakyProxy) start(t *testing.T, target string) string {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.seen.Add(1) > f.failures {
			proxy.ServeHTTP(w, r)
			return
		}
		if f.failStatus == 0 {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		w.Header().Set("Retry-After", "0")
		http.Error(w, "try later", f.failStatus)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestFollowHandsEveryCallbackOnceInOrder(t *testing.T) {
	t.Parallel()
	r := startRelay(t, testStoreDSN(t, "sqlite"))
	for _, s := range []string{"Warning", "Warning again", "Success"} {
		if code, body := postJSON(t, r.URL(), callbackBody("req-follow", s, 1)); code != http.StatusOK {
			t.Fatalf("POST = %d %s", code, body)
		}
	}
	var seqs []int64
	last, err := testClient(t, r.URL()).Follow(context.Background(), "req-follow", 0, func(cb Callback) bool {
		seqs = append(seqs, cb.Seq)
		return strings.Contains(string(cb.Payload), `"Success"`)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seqs) != 3 || seqs[0] >= seqs[1] || seqs[1] >= seqs[2] || last != seqs[2] {
		t.Errorf("handled %v, last %d: want three increasing seqs ending at last", seqs, last)
	}

	// Resuming from last hands nothing old: the next callback handed is a new one.
	go postJSON(t, r.URL(), callbackBody("req-follow", "Failed", 1))
	_, err = testClient(t, r.URL()).Follow(context.Background(), "req-follow", last, func(cb Callback) bool {
		if cb.Seq <= last {
			t.Errorf("resumed Follow handed seq %d again", cb.Seq)
		}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestFollowSurvivesTransientFailures(t *testing.T) {
	t.Parallel()
	r := startRelay(t, testStoreDSN(t, "sqlite"))
	if code, _ := postJSON(t, r.URL(), callbackBody("req-flaky", "Success", 1)); code != http.StatusOK {
		t.Fatal("POST failed")
	}
	for name, status := range map[string]int{"503": http.StatusServiceUnavailable, "429": http.StatusTooManyRequests, "500": 500, "dropped connection": 0} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			proxy := &flakyProxy{failures: DefaultMaxConsecutiveErrors - 1, failStatus: status}
			c := testClient(t, proxy.start(t, r.URL()))
			handled := 0
			if _, err := c.Follow(context.Background(), "req-flaky", 0, func(Callback) bool { handled++; return true }); err != nil {
				t.Fatalf("Follow = %v after %d failures, want it to ride them out", err, DefaultMaxConsecutiveErrors-1)
			}
			if handled != 1 {
				t.Errorf("handled %d callbacks, want 1", handled)
			}
		})
	}
}

func TestFollowGivesUpAfterTooManyConsecutiveFailures(t *testing.T) {
	t.Parallel()
	r := startRelay(t, testStoreDSN(t, "sqlite"))
	proxy := &flakyProxy{failures: 1000, failStatus: http.StatusBadGateway}
	c := testClient(t, proxy.start(t, r.URL()), func(cfg *ClientConfig) { cfg.MaxConsecutiveErrors = 4 })
	_, err := c.Follow(context.Background(), "req-down", 0, func(Callback) bool { return true })
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != http.StatusBadGateway || !strings.Contains(err.Error(), "4 consecutive failures") {
		t.Fatalf("Follow = %v, want it to give up with the last 502", err)
	}
	if got := proxy.seen.Load(); got != 4 {
		t.Errorf("relay was asked %d times, want exactly MaxConsecutiveErrors = 4", got)
	}
}

func TestFollowFailsAtOnceOnPermanentErrors(t *testing.T) {
	t.Parallel()
	r := startRelay(t, testStoreDSN(t, "sqlite"))
	cases := map[string]struct {
		token, requestID string
		wantStatus       int
		wantText         string
	}{
		"wrong token":   {token: "not-the-token", requestID: "req-x", wantStatus: 401, wantText: "THINGSPACE_RELAY_TOKEN"},
		"missing token": {token: "", requestID: "req-x", wantStatus: 401, wantText: "relay_token"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			proxy := &flakyProxy{}
			c := testClient(t, proxy.start(t, r.URL()), func(cfg *ClientConfig) { cfg.Token = tc.token })
			_, err := c.Follow(context.Background(), tc.requestID, 0, func(Callback) bool { return true })
			var se *StatusError
			if !errors.As(err, &se) || se.StatusCode != tc.wantStatus || !strings.Contains(err.Error(), tc.wantText) {
				t.Fatalf("Follow = %v, want HTTP %d mentioning %s", err, tc.wantStatus, tc.wantText)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Error("the error quotes the token")
			}
			if got := proxy.seen.Load(); got != 1 {
				t.Errorf("relay was asked %d times, want 1 (no retry)", got)
			}
		})
	}
	t.Run("bad request", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeError(w, http.StatusBadRequest, "wait must be a duration")
		}))
		t.Cleanup(srv.Close)
		_, err := testClient(t, srv.URL).Follow(context.Background(), "req-x", 0, func(Callback) bool { return true })
		if err == nil || !strings.Contains(err.Error(), "wait must be a duration") {
			t.Fatalf("Follow = %v, want the relay's explanation", err)
		}
	})
}

func TestFollowStopsWhenTheContextEnds(t *testing.T) {
	t.Parallel()
	r := startRelay(t, testStoreDSN(t, "sqlite"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := testClient(t, r.URL()).Follow(ctx, "req-cancel", 0, func(Callback) bool { return true })
		done <- err
	}()
	waitForReader(t, r.URL())
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Follow = %v, want context.Canceled", err)
	}
}

func TestFollowStopsDuringBackoffWhenTheContextEnds(t *testing.T) {
	t.Parallel()
	// A port nobody listens on: every attempt fails at once with "connection refused".
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	attempts := make(chan struct{}, 100)
	c := testClient(t, "http://"+addr, func(cfg *ClientConfig) {
		cfg.RetryMinDelay, cfg.RetryMaxDelay = time.Hour, time.Hour
		cfg.HTTPClient = &http.Client{Transport: countingTransport{attempts}}
	})
	done := make(chan error, 1)
	go func() {
		_, err := c.Follow(ctx, "req-cancel", 0, func(Callback) bool { return true })
		done <- err
	}()
	<-attempts // the first attempt failed; Follow now sleeps an hour unless the context ends
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Follow = %v, want context.Canceled", err)
	}
}

type countingTransport struct{ attempts chan<- struct{} }

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	c.attempts <- struct{}{}
	return resp, err
}

func TestClientBackoffStaysWithinBounds(t *testing.T) {
	t.Parallel()
	c, err := NewClient(ClientConfig{BaseURL: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	// With the defaults, the delays before giving up must add up to more than 20s, so a relay
	// restarting for ~20s is survived.
	var total time.Duration
	for failures := 1; failures < DefaultMaxConsecutiveErrors; failures++ {
		d := c.backoff(failures, errors.New("connection refused"))
		if d < time.Duration(0.9*float64(DefaultRetryMinDelay)) || d > time.Duration(1.1*float64(DefaultRetryMaxDelay)) {
			t.Errorf("backoff(%d) = %v, outside %v..%v ±10%%", failures, d, DefaultRetryMinDelay, DefaultRetryMaxDelay)
		}
		total += d
	}
	if total < 20*time.Second {
		t.Errorf("total backoff before giving up = %v, want > 20s", total)
	}
	if d := c.backoff(1, &StatusError{StatusCode: 429, RetryAfter: 7 * time.Second}); d != 7*time.Second {
		t.Errorf("backoff with Retry-After 7s = %v, want 7s", d)
	}
}

func TestNewClientRejectsBadURLs(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"", "relay.example.com", "ftp://relay", "http://"} {
		if _, err := NewClient(ClientConfig{BaseURL: u}); err == nil || !strings.Contains(err.Error(), "THINGSPACE_RELAY_URL") {
			t.Errorf("NewClient(%q) = %v, want an error naming THINGSPACE_RELAY_URL", u, err)
		}
	}
}

func TestFetchRejectsBadArguments(t *testing.T) {
	t.Parallel()
	c := testClient(t, "http://127.0.0.1:1")
	for _, tc := range []struct {
		id    string
		after int64
		wait  time.Duration
	}{{"../etc", 0, 0}, {"ok", -1, 0}, {"ok", 0, MaxWait + time.Second}} {
		if _, err := c.Fetch(context.Background(), tc.id, tc.after, tc.wait); err == nil {
			t.Errorf("Fetch(%q, %d, %v) succeeded, want an argument error", tc.id, tc.after, tc.wait)
		}
	}
}
