package relayclient

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/relay"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/relaywire"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/testsupport"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/testsupport/relaytest"
)

// startRelay runs a real relay on loopback with a SQLite store, closed when the test ends.
func startRelay(t *testing.T) *relay.Running {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := relay.Start(ctx, relay.Config{
		Listen: "127.0.0.1:0", Store: relaytest.SQLiteDSN(t),
		CallbackUsername: relaytest.CallbackUsername, CallbackPassword: relaytest.CallbackPassword, ReadToken: relaytest.ReadToken,
	})
	if err != nil {
		t.Fatalf("starting relay: %v", err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// testClient reads with the test token and millisecond backoff.
func testClient(t *testing.T, baseURL string, adjust ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{BaseURL: baseURL, Token: relaytest.ReadToken, RetryMinDelay: time.Millisecond, RetryMaxDelay: 5 * time.Millisecond}
	for _, f := range adjust {
		f(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// post delivers a callback for requestID with the given status, as ThingSpace would.
func post(t *testing.T, baseURL, requestID, status string) {
	t.Helper()
	body, err := json.Marshal(map[string]any{
		"username": relaytest.CallbackUsername, "password": relaytest.CallbackPassword, "requestId": requestID, "status": status,
		"deviceIds": []map[string]string{{"id": "89049032000001000000000000000074", "kind": "eid"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(baseURL+relaywire.CallbacksPath, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST callback = %d %s", resp.StatusCode, b)
	}
}

// waitForReader waits until the relay holds one long-poll.
func waitForReader(t *testing.T, baseURL string) {
	t.Helper()
	testsupport.Eventually(t, "one waiting reader", func() bool {
		resp, err := http.Get(baseURL + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return strings.Contains(string(b), "\nthingspace_relay_waiting_readers 1\n")
	})
}
