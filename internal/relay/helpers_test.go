package relay

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/relayclient"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/relaywire"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/testsupport"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/testsupport/relaytest"
)

// Credentials every test relay is configured with, shorter to write.
const (
	testUser  = relaytest.CallbackUsername
	testPass  = relaytest.CallbackPassword
	testToken = relaytest.ReadToken
)

// postgresURLEnv names the PostgreSQL server the tests use; CI always sets it.
const postgresURLEnv = relaytest.PostgresURLEnv

// Store helpers shared with the binary's tests.
var (
	storeKinds      = relaytest.Kinds
	testStoreDSN    = relaytest.StoreDSN
	testPostgresDSN = relaytest.PostgresDSN
	randomHex       = relaytest.RandomHex
	withQuery       = relaytest.WithQuery
)

// startRelay starts a relay on a free loopback port with the test credentials, stopped at the
// end of the test.
func startRelay(t testing.TB, storeDSN string, adjust ...func(*Config)) *Running {
	t.Helper()
	cfg := Config{
		Listen:           "127.0.0.1:0",
		Store:            storeDSN,
		CallbackUsername: testUser,
		CallbackPassword: testPass,
		ReadToken:        testToken,
	}
	for _, f := range adjust {
		f(&cfg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := Start(ctx, cfg)
	if err != nil {
		t.Fatalf("starting relay: %v", err)
	}
	t.Cleanup(func() {
		if err := r.Close(); err != nil {
			t.Errorf("closing relay: %v", err)
		}
	})
	return r
}

func testClient(t *testing.T, baseURL string, adjust ...func(*relayclient.Config)) *relayclient.Client {
	t.Helper()
	cfg := relayclient.Config{BaseURL: baseURL, Token: testToken, RetryMinDelay: time.Millisecond, RetryMaxDelay: 5 * time.Millisecond}
	for _, f := range adjust {
		f(&cfg)
	}
	c, err := relayclient.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// callbackBody is a DeviceProfileService callback as ThingSpace sends it, credentials included.
func callbackBody(requestID, status string, count int) map[string]any {
	return map[string]any{
		"username":  testUser,
		"password":  testPass,
		"requestId": requestID,
		"deviceIds": []map[string]string{{"id": "89049032000001000000000000000074", "kind": "eid"}},
		"deviceResponse": map[string]any{"deviceProfileResponse": map[string]any{
			"profileStatus":    "enable",
			"deviceCredential": map[string]string{"username": "2022326360@vzw4g.com", "password": "device-cred-pw"},
		}},
		"status":               status,
		"callbackCount":        count,
		"maxCallbackThreshold": 4,
	}
}

// post sends body (marshalled unless it is already []byte or string) to the relay's ingest
// endpoint and returns the status code and response body.
func post(t *testing.T, baseURL string, body any, contentType string) (int, []byte) {
	t.Helper()
	var raw []byte
	switch b := body.(type) {
	case []byte:
		raw = b
	case string:
		raw = []byte(b)
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequest(http.MethodPost, baseURL+"/callbacks", bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return do(t, req)
}

func postJSON(t *testing.T, baseURL string, body any) (int, []byte) {
	t.Helper()
	return post(t, baseURL, body, "application/json")
}

func do(t *testing.T, req *http.Request) (int, []byte) {
	t.Helper()
	client := http.DefaultClient
	if req.URL.Scheme == "https" {
		// Test certificates are self-signed; what is under test is the relay, not the chain.
		client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// get reads a relay path with the read token (or the one given).
func get(t *testing.T, baseURL, pathAndQuery string, token string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, baseURL+pathAndQuery, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return do(t, req)
}

// metricValue reads one sample from the relay's /metrics, e.g. `thingspace_relay_waiting_readers`.
func metricValue(t *testing.T, baseURL, sample string) string {
	t.Helper()
	code, body := get(t, baseURL, "/metrics", "")
	if code != http.StatusOK {
		t.Fatalf("/metrics answered %d", code)
	}
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, sample+" "); ok {
			return v
		}
	}
	return ""
}

// waitForReader waits until the relay holds exactly one long-poll.
func waitForReader(t *testing.T, baseURL string) {
	t.Helper()
	testsupport.Eventually(t, "waiting readers = 1", func() bool {
		return metricValue(t, baseURL, "thingspace_relay_waiting_readers") == "1"
	})
}

func jsonHas(body []byte, fragment string) bool { return strings.Contains(string(body), fragment) }

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// longPollThenPost holds a long-poll for requestID on the relay at readURL, posts a callback for
// it to the relay at postURL once the poll is held, and returns what the poll answered.
func longPollThenPost(t *testing.T, readURL, postURL, requestID string) *relaywire.Page {
	t.Helper()
	type answer struct {
		page *relaywire.Page
		err  error
	}
	got := make(chan answer, 1)
	go func() {
		page, err := testClient(t, readURL).Fetch(context.Background(), requestID, 0, relaywire.MaxWait)
		got <- answer{page, err}
	}()
	waitForReader(t, readURL)
	if code, body := postJSON(t, postURL, callbackBody(requestID, "Success", 1)); code != http.StatusOK {
		t.Fatalf("POST = %d %s", code, body)
	}
	a := <-got
	if a.err != nil {
		t.Fatal(a.err)
	}
	return a.page
}

// wakeChannel returns a channel with room for one pending wake-up and the function that fills
// it without ever blocking, for tests that wait on a store's notifications.
func wakeChannel() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	return ch, func() {
		select {
		case ch <- struct{}{}:
		default: // a wake-up is already pending; one is enough
		}
	}
}
