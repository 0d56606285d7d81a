package relay

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Credentials every test relay is configured with.
const (
	testUser  = "listener-user"
	testPass  = "listener-s3cret-pass"
	testToken = "reader-t0ken-value"
)

// postgresURLEnv names the PostgreSQL server the tests use; CI always sets it.
const postgresURLEnv = "THINGSPACE_TEST_POSTGRES_URL"

// storeKinds lists the stores every store-generic test runs against.
var storeKinds = []string{"sqlite", "postgres"}

// testStoreDSN returns a fresh, empty store of the given kind that is removed after the test.
func testStoreDSN(t *testing.T, kind string) string {
	t.Helper()
	switch kind {
	case "sqlite":
		return "sqlite:" + filepath.Join(t.TempDir(), "relay.db")
	case "postgres":
		return testPostgresDSN(t)
	}
	t.Fatalf("unknown store kind %q", kind)
	return ""
}

// testPostgresDSN creates a schema of its own for the test (so tests run in parallel on one
// database), points search_path at it, and drops it when the test ends.
func testPostgresDSN(t *testing.T) string {
	t.Helper()
	base := os.Getenv(postgresURLEnv)
	if base == "" {
		t.Skipf("%s is not set: skipping this PostgreSQL test (CI sets it, e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)", postgresURLEnv)
	}
	schema := "relay_test_" + randomHex(t, 8)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connecting to %s: %v", postgresURLEnv, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("creating test schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Errorf("dropping test schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("dropping test schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parsing %s: %v", postgresURLEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// startRelay starts a relay on a free loopback port with the test credentials, stopped at the
// end of the test.
func startRelay(t *testing.T, storeDSN string, adjust ...func(*Config)) *Running {
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

func testClient(t *testing.T, baseURL string, adjust ...func(*ClientConfig)) *Client {
	t.Helper()
	cfg := ClientConfig{BaseURL: baseURL, Token: testToken, RetryMinDelay: time.Millisecond, RetryMaxDelay: 5 * time.Millisecond}
	for _, f := range adjust {
		f(&cfg)
	}
	c, err := NewClient(cfg)
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
	resp, err := http.DefaultClient.Do(req)
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

// eventually polls cond until it holds or the deadline passes: for things that can only be
// observed, not awaited.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// waitForReaders waits until the relay holds n long-polls.
func waitForReaders(t *testing.T, baseURL string, n int) {
	t.Helper()
	want := strconv.Itoa(n)
	eventually(t, "waiting readers = "+want, func() bool {
		return metricValue(t, baseURL, "thingspace_relay_waiting_readers") == want
	})
}
