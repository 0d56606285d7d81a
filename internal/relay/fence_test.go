package relay

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// fencedServer is a relay handler on a SQLite store of the test's own.
func fencedServer(t *testing.T, adjust func(*Config)) *Server {
	t.Helper()
	cfg := Config{CallbackUsername: testUser, CallbackPassword: testPass, ReadToken: testToken}
	adjust(&cfg)
	srv, err := NewServer(cfg, openTestSQLite(t))
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// callbackFrom delivers body to srv as if it came from remote (host:port), with the given
// X-Forwarded-For headers.
func callbackFrom(t *testing.T, srv *Server, remote string, body map[string]any, xff ...string) *httptest.ResponseRecorder {
	t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/callbacks", bytes.NewReader(raw))
	req.RemoteAddr = remote
	req.Header.Set("Content-Type", "application/json")
	for _, h := range xff {
		req.Header.Add("X-Forwarded-For", h)
	}
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	return rec
}

func wrongPassword(requestID string) map[string]any {
	body := callbackBody(requestID, "Success", 1)
	body["password"] = "a-guess"
	return body
}

// refusedCount reads callbacks_refused_total for one reason.
func refusedCount(t *testing.T, srv *Server, reason string) string {
	t.Helper()
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	prefix := `thingspace_relay_callbacks_refused_total{reason="` + reason + `"} `
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if v, ok := strings.CutPrefix(line, prefix); ok {
			return v
		}
	}
	return ""
}

func TestCallbackAllowListRefusesOtherSources(t *testing.T) {
	t.Parallel()
	srv := fencedServer(t, func(c *Config) { c.CallbackAllowCIDRs = []string{"192.0.2.0/24", "2001:db8::1"} })
	for remote, want := range map[string]int{
		"192.0.2.7:40000":       http.StatusOK,
		"[2001:db8::1]:40000":   http.StatusOK,
		"[::ffff:192.0.2.8]:80": http.StatusOK, // an IPv4 peer on a dual-stack socket
		"198.51.100.1:40000":    http.StatusForbidden,
		"[2001:db8::2]:40000":   http.StatusForbidden,
	} {
		rec := callbackFrom(t, srv, remote, callbackBody("req-fence", "Success", 1))
		if rec.Code != want {
			t.Errorf("callback from %s = %d %s, want %d", remote, rec.Code, rec.Body, want)
		}
		if want == http.StatusForbidden && (!strings.Contains(rec.Body.String(), "not allowed") || !strings.Contains(rec.Body.String(), "--callback-allow-cidr")) {
			t.Errorf("403 body %s should say the source is not allowed and name --callback-allow-cidr", rec.Body)
		}
	}
	if got := refusedCount(t, srv, refusedSourceNotAllowed); got != "2" {
		t.Errorf("callbacks_refused_total{reason=source_not_allowed} = %q, want 2", got)
	}

	// Readers are not fenced: the provider runs wherever Terraform does.
	req := httptest.NewRequest(http.MethodGet, "/v1/requests/req-fence", nil)
	req.RemoteAddr = "198.51.100.1:40000"
	req.Header.Set("Authorization", "Bearer "+testToken)
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"seq":1`) {
		t.Errorf("read from outside the allow-list = %d %s, want 200 with the callback", rec.Code, rec.Body)
	}
}

func TestXForwardedForIsBelievedOnlyFromTrustedProxies(t *testing.T) {
	t.Parallel()
	fence, err := newSourceFence(nil, []string{"10.0.0.0/8", "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, peer string
		xff        []string
		want       string // "" = no usable address
	}{
		{"untrusted peer's header ignored", "203.0.113.9:1", []string{"192.0.2.7"}, "203.0.113.9"},
		{"trusted proxy without header", "10.0.0.1:1", nil, "10.0.0.1"},
		{"trusted proxy", "10.0.0.1:1", []string{"192.0.2.7"}, "192.0.2.7"},
		{"client-written entries left of the sender are ignored", "10.0.0.1:1", []string{"192.0.2.7, 203.0.113.9"}, "203.0.113.9"},
		{"chain of trusted proxies", "127.0.0.1:1", []string{"203.0.113.9, 10.1.1.1", "10.2.2.2"}, "203.0.113.9"},
		{"every hop trusted", "10.0.0.1:1", []string{"10.9.9.9, 10.1.1.1"}, "10.9.9.9"},
		{"address with port", "10.0.0.1:1", []string{"[2001:db8::5]:443"}, "2001:db8::5"},
		{"garbage from a trusted proxy", "10.0.0.1:1", []string{"192.0.2.7, unknown"}, ""},
	} {
		req := httptest.NewRequest(http.MethodPost, "/callbacks", nil)
		req.RemoteAddr = tc.peer
		for _, h := range tc.xff {
			req.Header.Add("X-Forwarded-For", h)
		}
		got := fence.source(req)
		if (tc.want == "" && got.IsValid()) || (tc.want != "" && got != netip.MustParseAddr(tc.want)) {
			t.Errorf("%s: source = %v, want %q", tc.name, got, tc.want)
		}
	}

	srv := fencedServer(t, func(c *Config) {
		c.CallbackAllowCIDRs = []string{"192.0.2.0/24"}
		c.TrustedProxyCIDRs = []string{"10.0.0.1"}
	})
	if rec := callbackFrom(t, srv, "10.0.0.1:5000", callbackBody("req-xff", "Success", 1), "192.0.2.7"); rec.Code != http.StatusOK {
		t.Errorf("allowed source through the trusted proxy = %d %s, want 200", rec.Code, rec.Body)
	}
	if rec := callbackFrom(t, srv, "10.0.0.1:5000", callbackBody("req-xff", "Success", 1), "192.0.2.7, 198.51.100.1"); rec.Code != http.StatusForbidden {
		t.Errorf("other source through the trusted proxy = %d, want 403", rec.Code)
	}
	if rec := callbackFrom(t, srv, "198.51.100.1:5000", callbackBody("req-xff", "Success", 1), "192.0.2.7"); rec.Code != http.StatusForbidden {
		t.Errorf("untrusted peer claiming an allowed source = %d, want 403", rec.Code)
	}
}

func TestRepeatedCredentialFailuresThrottleOnlyTheirSource(t *testing.T) {
	t.Parallel()
	srv := fencedServer(t, func(c *Config) {
		c.CallbackFailureLimit = 3
		c.CallbackFailureWindow = time.Minute
	})
	now := time.Now()
	srv.throttle.now = func() time.Time { return now }
	const prober, sender = "198.51.100.1:1000", "192.0.2.7:2000"

	for i := range 3 {
		if rec := callbackFrom(t, srv, prober, wrongPassword("req-probe")); rec.Code != http.StatusUnauthorized {
			t.Fatalf("wrong credentials #%d = %d, want 401", i+1, rec.Code)
		}
	}
	now = now.Add(20 * time.Second)
	for _, body := range []map[string]any{wrongPassword("req-probe"), callbackBody("req-probe", "Success", 1)} {
		rec := callbackFrom(t, srv, prober, body)
		if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "40" {
			t.Errorf("throttled source = %d, Retry-After %q; want 429 with Retry-After 40", rec.Code, rec.Header().Get("Retry-After"))
		}
	}

	// The sender at another address is never held back by the prober, and its own failure
	// and success change nothing for the prober.
	if rec := callbackFrom(t, srv, sender, wrongPassword("req-ok")); rec.Code != http.StatusUnauthorized {
		t.Errorf("sender's wrong credentials = %d, want 401", rec.Code)
	}
	if rec := callbackFrom(t, srv, sender, callbackBody("req-ok", "Success", 1)); rec.Code != http.StatusOK {
		t.Errorf("sender at another address = %d %s, want 200", rec.Code, rec.Body)
	}
	if rec := callbackFrom(t, srv, prober, callbackBody("req-probe", "Success", 1)); rec.Code != http.StatusTooManyRequests {
		t.Errorf("prober after another source's success = %d, want still 429", rec.Code)
	}

	now = now.Add(40 * time.Second) // the prober's window ends
	if rec := callbackFrom(t, srv, prober, callbackBody("req-probe", "Success", 1)); rec.Code != http.StatusOK {
		t.Errorf("after the window = %d %s, want 200", rec.Code, rec.Body)
	}
	for reason, want := range map[string]string{refusedCredentials: "4", refusedThrottled: "3", refusedSourceNotAllowed: "0"} {
		if got := refusedCount(t, srv, reason); got != want {
			t.Errorf("callbacks_refused_total{reason=%s} = %q, want %s", reason, got, want)
		}
	}
}

func TestThrottleMemoryIsBounded(t *testing.T) {
	t.Parallel()
	th := newFailureThrottle(2, time.Minute)
	th.maxSources = 3
	now := time.Now()
	th.now = func() time.Time { return now }
	addr := func(s string) netip.Addr { return netip.MustParseAddr(s) }

	th.fail(addr("192.0.2.1"))
	th.fail(addr("192.0.2.1"))
	for _, a := range []string{"192.0.2.2", "192.0.2.3", "192.0.2.4"} {
		now = now.Add(time.Second)
		th.fail(addr(a))
	}
	if n := len(th.sources); n != 3 {
		t.Fatalf("tracking %d sources, want the cap of 3", n)
	}
	if _, blocked := th.blocked(addr("192.0.2.1")); blocked {
		t.Error("the oldest source was kept past the cap")
	}

	// One IPv6 host owns its /64: a fresh address per guess still counts against it.
	th.fail(addr("2001:db8:1:2::a"))
	if _, blocked := th.blocked(addr("2001:db8:1:2::b")); blocked {
		t.Error("throttled after one failure")
	}
	th.fail(addr("2001:db8:1:2::c"))
	if _, blocked := th.blocked(addr("2001:db8:1:2::d")); !blocked {
		t.Error("two failures from one /64 did not throttle it")
	}

	now = now.Add(2 * time.Minute)
	th.blocked(addr("192.0.2.9"))
	if n := len(th.sources); n != 0 {
		t.Errorf("tracking %d sources after every window ended, want 0", n)
	}
}
