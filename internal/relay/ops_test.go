package relay

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/relayclient"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/relaywire"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/testsupport"
)

func TestHealthzFollowsTheStore(t *testing.T) {
	t.Parallel()
	store, err := OpenStore(context.Background(), testStoreDSN(t, "sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(Config{InsecureAllowAnonymous: true}, store)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	if code, body := get(t, ts.URL, "/healthz", ""); code != http.StatusOK {
		t.Fatalf("/healthz = %d %s with a working store", code, body)
	}
	store.Close()
	if code, body := get(t, ts.URL, "/healthz", ""); code != http.StatusServiceUnavailable {
		t.Fatalf("/healthz = %d %s with a closed store, want 503", code, body)
	}
	if code, body := postJSON(t, ts.URL, callbackBody("req-closed", "Success", 1)); code != http.StatusServiceUnavailable {
		t.Fatalf("POST with a closed store = %d %s, want 503 so ThingSpace retries", code, body)
	}
}

func TestMetricsCountWhatHappened(t *testing.T) {
	t.Parallel()
	r := startRelay(t, testStoreDSN(t, "sqlite"))
	postJSON(t, r.URL(), callbackBody("req-m", "Success", 1))
	postJSON(t, r.URL(), callbackBody("req-m", "Success", 2))
	get(t, r.URL(), "/v1/requests/req-m", "wrong")
	get(t, r.URL(), "/v1/requests/req-m", testToken)
	for sample, want := range map[string]string{
		"thingspace_relay_callbacks_stored_total":                            "1",
		"thingspace_relay_callbacks_duplicate_total":                         "1",
		`thingspace_relay_auth_failures_total{endpoint="requests"}`:          "1",
		`thingspace_relay_http_requests_total{code="200",route="callbacks"}`: "2",
		`thingspace_relay_http_requests_total{code="401",route="requests"}`:  "1",
		`thingspace_relay_http_requests_total{code="200",route="requests"}`:  "1",
		`thingspace_relay_store_duration_seconds_count{op="append"}`:         "2",
		"thingspace_relay_waiting_readers":                                   "0",
	} {
		if got := metricValue(t, r.URL(), sample); got != want {
			t.Errorf("%s = %q, want %s", sample, got, want)
		}
	}
}

func TestRetentionPurgeDeletesOldCallbacks(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, dsn string) {
		store, err := OpenStore(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { store.Close() })
		ctx := context.Background()
		for _, status := range []string{"Warning", "Success"} {
			in, err := parseIncoming(mustJSON(t, callbackBody("req-old", status, 1)))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := store.Append(ctx, in.message); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := store.Purge(ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 {
			t.Fatalf("purge with an old cutoff deleted %d (%v), want 0", n, err)
		}
		if n, err := store.Purge(ctx, time.Now().Add(time.Second)); err != nil || n != 2 {
			t.Fatalf("purge with a future cutoff deleted %d (%v), want 2", n, err)
		}
		left, err := store.List(ctx, "req-old", 0, relaywire.PageLimit)
		if err != nil || len(left) != 0 {
			t.Fatalf("after purge List = %v, %v; want nothing", left, err)
		}
	})
}

func TestServerRunsThePurgePeriodically(t *testing.T) {
	t.Parallel()
	r := startRelay(t, testStoreDSN(t, "sqlite"), func(c *Config) {
		c.Retention = time.Millisecond
		c.PurgeInterval = 5 * time.Millisecond
	})
	postJSON(t, r.URL(), callbackBody("req-purge", "Success", 1))
	testsupport.Eventually(t, "the callback to be purged", func() bool {
		_, body := get(t, r.URL(), "/v1/requests/req-purge", testToken)
		return strings.Contains(string(body), `"callbacks":[]`)
	})
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestServesTLS(t *testing.T) {
	t.Parallel()
	certFile, keyFile, pool := selfSignedCert(t)
	r := startRelay(t, testStoreDSN(t, "sqlite"), func(c *Config) { c.TLSCert, c.TLSKey = certFile, keyFile })
	if !strings.HasPrefix(r.URL(), "https://127.0.0.1:") {
		t.Fatalf("URL = %s, want https", r.URL())
	}
	httpClient := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	c := testClient(t, r.URL(), func(cfg *relayclient.Config) { cfg.HTTPClient = httpClient })
	if _, err := c.Fetch(context.Background(), "req-tls", 0, 0); err != nil {
		t.Fatalf("Fetch over TLS: %v", err)
	}
	// A long-poll over TLS (HTTP/1.1) is parked on the TLS connection and answered there.
	if page, err := c.Fetch(context.Background(), "req-tls", 0, time.Millisecond); err != nil || len(page.Callbacks) != 0 {
		t.Fatalf("long-poll over TLS = %+v, %v; want an empty page when the wait ends", page, err)
	}
	// A plain-HTTP client is refused by the TLS listener.
	if _, err := testClient(t, strings.Replace(r.URL(), "https", "http", 1), func(cfg *relayclient.Config) { cfg.ReadAttempts = 1 }).Fetch(context.Background(), "req-tls", 0, 0); err == nil {
		t.Error("plain HTTP to the TLS port succeeded")
	}
}

func selfSignedCert(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "relay test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "EC PRIVATE KEY", keyDER)
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func writePEM(t *testing.T, path, kind string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestConfigErrorsNameTheSetting(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"nothing", Config{}, []string{"THINGSPACE_RELAY_CALLBACK_USERNAME", "THINGSPACE_RELAY_CALLBACK_PASSWORD", "THINGSPACE_RELAY_READ_TOKEN", "--insecure-allow-anonymous"}},
		{"no token", Config{CallbackUsername: "u", CallbackPassword: "p"}, []string{"--read-token"}},
		{"half credentials", Config{CallbackUsername: "u", ReadToken: "t"}, []string{"--callback-password"}},
		{"half TLS", Config{CallbackUsername: "u", CallbackPassword: "p", ReadToken: "t", TLSCert: "c.pem"}, []string{"--tls-key"}},
		{"negative retention", Config{InsecureAllowAnonymous: true, Retention: -time.Hour}, []string{"--retention"}},
		{"negative body limit", Config{InsecureAllowAnonymous: true, MaxBodyBytes: -1}, []string{"--max-body-bytes"}},
	}
	for _, tc := range cases {
		err := tc.cfg.Validate()
		if err == nil {
			t.Errorf("%s: Validate() = nil, want an error", tc.name)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %s", tc.name, err, w)
			}
		}
	}
	if err := (Config{InsecureAllowAnonymous: true}).Validate(); err != nil {
		t.Errorf("anonymous config: %v", err)
	}
}

func TestAnonymousModeAcceptsUnauthenticatedTraffic(t *testing.T) {
	t.Parallel()
	r := startRelay(t, testStoreDSN(t, "sqlite"), func(c *Config) {
		c.CallbackUsername, c.CallbackPassword, c.ReadToken = "", "", ""
		c.InsecureAllowAnonymous = true
	})
	if code, body := postJSON(t, r.URL(), map[string]any{"requestId": "req-anon", "status": "Success"}); code != http.StatusOK {
		t.Fatalf("anonymous POST = %d %s", code, body)
	}
	if code, body := get(t, r.URL(), "/v1/requests/req-anon", ""); code != http.StatusOK || !strings.Contains(string(body), "Success") {
		t.Fatalf("anonymous GET = %d %s", code, body)
	}
}

func TestLogsNeverContainSecrets(t *testing.T) {
	t.Parallel()
	var logs testsupport.SyncBuffer
	r := startRelay(t, testStoreDSN(t, "sqlite"), func(c *Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	postJSON(t, r.URL(), callbackBody("req-log", "Success", 1))
	bad := callbackBody("req-log", "Success", 1)
	bad["password"] = "a-wrong-guess-" + testPass
	postJSON(t, r.URL(), bad)
	get(t, r.URL(), "/v1/requests/req-log", testToken)
	get(t, r.URL(), "/v1/requests/req-log", testToken+"-wrong")
	out := logs.String()
	if !strings.Contains(out, `"msg":"callback stored"`) || !strings.Contains(out, "wrong listener credentials") {
		t.Fatalf("expected events missing from the log:\n%s", out)
	}
	for _, secret := range []string{testUser, testPass, testToken, "device-cred-pw"} {
		if strings.Contains(out, secret) {
			t.Errorf("the log contains secret %q:\n%s", secret, out)
		}
	}
}

// Over HTTP/2 a connection cannot be taken over, so long-polls wait in their handler: check that
// path wakes and shuts down like the parked one.
func TestLongPollOverHTTP2(t *testing.T) {
	t.Parallel()
	certFile, keyFile, pool := selfSignedCert(t)
	cfg := Config{Listen: "127.0.0.1:0", Store: testStoreDSN(t, "sqlite"), TLSCert: certFile, TLSKey: keyFile,
		CallbackUsername: testUser, CallbackPassword: testPass, ReadToken: testToken}
	r, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	var protos sync.Map
	transport := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	httpClient := &http.Client{Transport: roundTripFunc(func(req *http.Request) (*http.Response, error) {
		resp, err := transport.RoundTrip(req)
		if err == nil {
			protos.Store(resp.Proto, true)
		}
		return resp, err
	})}
	c := testClient(t, r.URL(), func(cfg *relayclient.Config) { cfg.HTTPClient = httpClient })

	woken := make(chan error, 1)
	go func() {
		page, err := c.Fetch(context.Background(), "req-h2", 0, relaywire.MaxWait)
		if err == nil && len(page.Callbacks) != 1 {
			err = fmt.Errorf("page %+v, want the callback", page)
		}
		woken <- err
	}()
	waitForReader(t, r.URL())
	code, body := post(t, r.URL(), callbackBody("req-h2", "Success", 1), "application/json")
	if code != http.StatusOK {
		t.Fatalf("POST = %d %s", code, body)
	}
	if err := <-woken; err != nil {
		t.Fatal(err)
	}

	held := make(chan error, 1)
	go func() {
		_, err := c.Fetch(context.Background(), "req-h2-held", 0, relaywire.MaxWait)
		held <- err
	}()
	waitForReader(t, r.URL())
	if err := r.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if err := <-held; err != nil {
		t.Errorf("held HTTP/2 long-poll ended with %v, want an answer", err)
	}
	if _, ok := protos.Load("HTTP/2.0"); !ok {
		t.Error("the client never spoke HTTP/2; this test did not test the HTTP/2 path")
	}
}

// Over HTTP/2 a held long-poll ends with an empty page when its wait runs out, and one whose
// reader resets its stream stops counting as waiting at once.
func TestHTTP2LongPollEndsEmptyOrWhenItsReaderLeaves(t *testing.T) {
	t.Parallel()
	certFile, keyFile, pool := selfSignedCert(t)
	r := startRelay(t, testStoreDSN(t, "sqlite"), func(c *Config) { c.TLSCert, c.TLSKey = certFile, keyFile })
	httpClient := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
	resp, err := httpClient.Get(r.URL() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Fatalf("the client spoke %s; this test needs HTTP/2", resp.Proto)
	}
	c := testClient(t, r.URL(), func(cfg *relayclient.Config) { cfg.HTTPClient = httpClient })

	const wait = 200 * time.Millisecond
	start := time.Now()
	page, err := c.Fetch(context.Background(), "req-h2-empty", 3, wait)
	if err != nil || len(page.Callbacks) != 0 || page.Next != 3 {
		t.Fatalf("long-poll = %+v, %v; want an empty page with next = after", page, err)
	}
	if elapsed := time.Since(start); elapsed < wait {
		t.Errorf("the long-poll ended after %v, before its wait of %v", elapsed, wait)
	}

	ctx, cancel := context.WithCancel(context.Background())
	left := make(chan error, 1)
	go func() {
		_, err := c.Fetch(ctx, "req-h2-left", 0, relaywire.MaxWait)
		left <- err
	}()
	waitForReader(t, r.URL())
	cancel()
	if err := <-left; err == nil {
		t.Fatal("a cancelled long-poll returned no error")
	}
	testsupport.Eventually(t, "the reader that left to be forgotten", func() bool {
		return metricValue(t, r.URL(), "thingspace_relay_waiting_readers") == "0"
	})
	// Its request is served as usual afterwards.
	postJSON(t, r.URL(), callbackBody("req-h2-left", "Success", 1))
	if page, err := c.Fetch(context.Background(), "req-h2-left", 0, relaywire.MaxWait); err != nil || len(page.Callbacks) != 1 {
		t.Fatalf("long-poll after the reader left = %+v, %v; want the callback", page, err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// A client that never finishes its headers is disconnected by the read-header timeout, and the
// relay keeps serving others.
func TestSlowHeadersAreCutOff(t *testing.T) {
	t.Parallel()
	store, err := OpenStore(context.Background(), testStoreDSN(t, "sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	srv, err := NewServer(Config{InsecureAllowAnonymous: true}, store)
	if err != nil {
		t.Fatal(err)
	}
	srv.http.ReadHeaderTimeout = 20 * time.Millisecond // the real one is 10s
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })

	slow, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	if _, err := slow.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")); err != nil {
		t.Fatal(err)
	}
	// The server gives up on the request: the read ends (EOF, or a 408 then EOF). The deadline
	// only turns a missing timeout into a failure instead of a hang.
	_ = slow.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.ReadAll(slow); err != nil {
		t.Fatalf("reading from the cut-off connection: %v", err)
	}
	if code, _ := get(t, "http://"+ln.Addr().String(), "/healthz", ""); code != http.StatusOK {
		t.Errorf("/healthz = %d after a slow client", code)
	}
}
