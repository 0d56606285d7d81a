package relayclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/relaywire"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/testsupport/relaytest"
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
	r := startRelay(t)
	for _, s := range []string{"Warning", "Warning again", "Success"} {
		post(t, r.URL(), "req-follow", s)
	}
	var seqs []int64
	last, err := testClient(t, r.URL()).Follow(context.Background(), "req-follow", 0, func(cb relaywire.Callback) bool {
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
	post(t, r.URL(), "req-follow", "Failed")
	_, err = testClient(t, r.URL()).Follow(context.Background(), "req-follow", last, func(cb relaywire.Callback) bool {
		if cb.Seq <= last {
			t.Errorf("resumed Follow handed seq %d again", cb.Seq)
		}
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
}

// An outage of any length is waited out: here far more failed reads than the bounded reads
// allow, of every transient kind, then the relay answers and the callback is handed over.
func TestFollowWaitsOutAnOutageAndSaysSoOnce(t *testing.T) {
	t.Parallel()
	r := startRelay(t)
	post(t, r.URL(), "req-flaky", "Success")
	for name, status := range map[string]int{"503": http.StatusServiceUnavailable, "429": http.StatusTooManyRequests, "500": 500, "dropped connection": 0} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			proxy := &flakyProxy{failures: 5 * DefaultReadAttempts, failStatus: status}
			var notices []int
			c := testClient(t, proxy.start(t, r.URL()), func(cfg *Config) {
				cfg.OnOutage = func(_ context.Context, requestID string, failures int, err error) {
					if requestID != "req-flaky" || (failures == 1) != (err != nil) {
						t.Errorf("OnOutage(%q, %d, %v): want the start (1, err) or the end (n, nil) of a streak", requestID, failures, err)
					}
					notices = append(notices, failures)
				}
			})
			handled := 0
			if _, err := c.Follow(context.Background(), "req-flaky", 0, func(relaywire.Callback) bool { handled++; return true }); err != nil {
				t.Fatalf("Follow = %v, want it to wait out the outage", err)
			}
			if handled != 1 {
				t.Errorf("handled %d callbacks, want 1", handled)
			}
			if want := []int{1, 5 * DefaultReadAttempts}; !slices.Equal(notices, want) {
				t.Errorf("outage notices %v, want %v (one at the start, one at the end)", notices, want)
			}
		})
	}
}

// Refresh and import must answer promptly, so their reads give up after ReadAttempts.
func TestReadAllGivesUpAfterReadAttempts(t *testing.T) {
	t.Parallel()
	r := startRelay(t)
	proxy := &flakyProxy{failures: 1000, failStatus: http.StatusBadGateway}
	c := testClient(t, proxy.start(t, r.URL()), func(cfg *Config) { cfg.ReadAttempts = 4 })
	_, err := c.ReadAll(context.Background(), "req-down")
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != http.StatusBadGateway {
		t.Fatalf("ReadAll = %v, want the last 502", err)
	}
	if got := proxy.seen.Load(); got != 4 {
		t.Errorf("relay was asked %d times, want exactly ReadAttempts = 4", got)
	}
	if err := c.Check(context.Background()); !errors.As(err, &se) || strings.Contains(err.Error(), checkID) {
		t.Errorf("Check = %v, want the 502 without naming its internal request id", err)
	}
}

func TestReadAllReadsEveryPage(t *testing.T) {
	t.Parallel()
	r := startRelay(t)
	for range relaywire.PageLimit + 3 {
		post(t, r.URL(), "req-pages", fmt.Sprintf("Warning %d", rand.Int()))
	}
	all, err := testClient(t, r.URL()).ReadAll(context.Background(), "req-pages")
	if err != nil || len(all) != relaywire.PageLimit+3 {
		t.Fatalf("ReadAll = %d callbacks, %v; want %d", len(all), err, relaywire.PageLimit+3)
	}
}

func TestFollowFailsAtOnceOnPermanentErrors(t *testing.T) {
	t.Parallel()
	r := startRelay(t)
	for name, token := range map[string]string{"wrong token": "not-the-token", "missing token": ""} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			proxy := &flakyProxy{}
			c := testClient(t, proxy.start(t, r.URL()), func(cfg *Config) { cfg.Token = token })
			_, err := c.Follow(context.Background(), "req-x", 0, func(relaywire.Callback) bool { return true })
			var se *StatusError
			if !errors.As(err, &se) || se.StatusCode != http.StatusUnauthorized || !strings.Contains(err.Error(), "read token") {
				t.Fatalf("Follow = %v, want HTTP 401 saying the read token was refused", err)
			}
			if strings.Contains(err.Error(), relaytest.ReadToken) {
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
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(relaywire.ErrorBody{Error: "wait must be a duration"})
		}))
		t.Cleanup(srv.Close)
		_, err := testClient(t, srv.URL).Follow(context.Background(), "req-x", 0, func(relaywire.Callback) bool { return true })
		if err == nil || !strings.Contains(err.Error(), "wait must be a duration") {
			t.Fatalf("Follow = %v, want the relay's explanation", err)
		}
	})
}

func TestFollowStopsWhenTheContextEnds(t *testing.T) {
	t.Parallel()
	r := startRelay(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := testClient(t, r.URL()).Follow(ctx, "req-cancel", 0, func(relaywire.Callback) bool { return true })
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
	c := testClient(t, "http://"+addr, func(cfg *Config) {
		cfg.RetryMinDelay, cfg.RetryMaxDelay = time.Hour, time.Hour
		cfg.HTTPClient = &http.Client{Transport: countingTransport{attempts}}
	})
	done := make(chan error, 1)
	go func() {
		_, err := c.Follow(ctx, "req-cancel", 0, func(relaywire.Callback) bool { return true })
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
	c, err := New(Config{BaseURL: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	// During an outage the relay is asked again at least every DefaultRetryMaxDelay (+10%), so
	// a wait resumes within seconds of the relay coming back.
	for failures := 1; failures < 40; failures++ {
		d := c.backoff(failures, errors.New("connection refused"))
		if d < time.Duration(0.9*float64(DefaultRetryMinDelay)) || d > time.Duration(1.1*float64(DefaultRetryMaxDelay)) {
			t.Errorf("backoff(%d) = %v, outside %v..%v ±10%%", failures, d, DefaultRetryMinDelay, DefaultRetryMaxDelay)
		}
	}
	if d := c.backoff(1, &StatusError{StatusCode: 429, RetryAfter: 7 * time.Second}); d != 7*time.Second {
		t.Errorf("backoff with Retry-After 7s = %v, want 7s", d)
	}
}

func TestNewClientRejectsBadURLs(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"", "relay.example.com", "ftp://relay", "http://"} {
		if _, err := New(Config{BaseURL: u}); err == nil {
			t.Errorf("New(%q) succeeded, want an error", u)
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
	}{{"../etc", 0, 0}, {"ok", -1, 0}, {"ok", 0, relaywire.MaxWait + time.Second}} {
		if _, err := c.Fetch(context.Background(), tc.id, tc.after, tc.wait); err == nil {
			t.Errorf("Fetch(%q, %d, %v) succeeded, want an argument error", tc.id, tc.after, tc.wait)
		}
	}
}
