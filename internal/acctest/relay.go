// Package acctest starts the real parts the provider's tests run against: a ThingSpace
// simulator and a thingspace-relay, in-process on loopback, wired together as a customer would
// wire them (the relay registered as the account's DeviceProfileService listener), plus the
// provider factories and configuration that point Terraform at them.
//
// It is test-only: nothing outside _test.go files imports it.
package acctest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/relay"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/relayclient"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/relaywire"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/testsupport/relaymetrics"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/testsupport/relayrestart"
)

// Relay is a thingspace-relay serving on loopback with an SQLite store in the test's temporary
// directory, and credentials made up for this test. It can be stopped and started again on the
// same address with the same database, as an operator restarting it would.
type Relay struct {
	ReadToken        string
	CallbackUsername string
	CallbackPassword string

	server *relayrestart.Relay
}

// StartRelay starts a relay and stops it when the test ends.
func StartRelay(t testing.TB) *Relay {
	t.Helper()
	r := &Relay{
		ReadToken:        RandomSecret(t),
		CallbackUsername: "listener-" + RandomSecret(t)[:8],
		CallbackPassword: RandomSecret(t),
	}
	ctx, cancel := context.WithTimeout(context.Background(), awaitLimit)
	defer cancel()
	server, err := relayrestart.Start(ctx, relay.Config{
		Listen:           "127.0.0.1:0",
		Store:            "sqlite:" + filepath.Join(t.TempDir(), "relay.db"),
		CallbackUsername: r.CallbackUsername,
		CallbackPassword: r.CallbackPassword,
		ReadToken:        r.ReadToken,
	})
	if err != nil {
		t.Fatalf("starting the relay: %v", err)
	}
	r.server = server
	t.Cleanup(func() {
		if err := r.Stop(); err != nil {
			t.Errorf("stopping the relay: %v", err)
		}
	})
	return r
}

// URL is the relay's base URL. It stays the same across Stop and Start.
func (r *Relay) URL() string { return r.server.URL() }

// CallbacksURL is where ThingSpace (the simulator) must POST callbacks.
func (r *Relay) CallbacksURL() string { return r.URL() + "/callbacks" }

// Stop shuts the relay down gracefully (held long-polls are answered) and keeps its database,
// so that Start brings back everything it had stored. It reports errors instead of failing the
// test, because fault scenarios call it from their own goroutines.
func (r *Relay) Stop() error {
	return r.server.Stop()
}

// Start starts a stopped relay again on the same address with the same database, retrying
// while another process briefly holds the port.
func (r *Relay) Start() error {
	ctx, cancel := context.WithTimeout(context.Background(), awaitLimit)
	defer cancel()
	return r.server.Start(ctx, awaitLimit)
}

// Client returns a relay client with the read token and test-sized retry delays.
func (r *Relay) Client(t testing.TB) *relayclient.Client {
	t.Helper()
	c, err := relayclient.New(relayclient.Config{
		BaseURL:       r.URL(),
		Token:         r.ReadToken,
		RetryMinDelay: relayRetryMinDelay,
		RetryMaxDelay: relayRetryMaxDelay,
	})
	if err != nil {
		t.Fatalf("relay client: %v", err)
	}
	return c
}

// Stored returns every callback the relay holds for a request, oldest first, without waiting.
func (r *Relay) Stored(requestID string) ([]relaywire.Callback, error) {
	client, err := relayclient.New(relayclient.Config{BaseURL: r.URL(), Token: r.ReadToken})
	if err != nil {
		return nil, err
	}
	return client.ReadAll(context.Background(), requestID)
}

// Post delivers a callback as ThingSpace would, echoing the listener credentials, and fails the
// test unless the relay stored it (200).
func (r *Relay) Post(t testing.TB, payload map[string]any) {
	t.Helper()
	if err := r.TryPost(payload); err != nil {
		t.Fatal(err)
	}
}

// TryPost is Post for goroutines other than the test's: it returns what went wrong.
func (r *Relay) TryPost(payload map[string]any) error {
	body := map[string]any{"username": r.CallbackUsername, "password": r.CallbackPassword}
	for k, v := range payload {
		body[k] = v
	}
	data, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encoding callback: %w", err)
	}
	resp, err := http.Post(r.CallbacksURL(), "application/json", bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("posting callback: %w", err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("relay answered %d to a callback: %s", resp.StatusCode, answer)
	}
	return nil
}

// RandomSecret returns 32 random hex characters.
func RandomSecret(t testing.TB) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("random: %v", err)
	}
	return hex.EncodeToString(b)
}

// Reads is how many reads (GET /v1/requests/...) the relay has answered so far, whatever their
// status: the provider's cost on the relay.
func (r *Relay) Reads(t testing.TB) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), awaitLimit)
	defer cancel()
	answered, err := relaymetrics.AnsweredRequests(ctx, http.DefaultClient, r.URL())
	if err != nil {
		t.Fatalf("counting the relay's reads: %v", err)
	}
	return answered[relay.RouteRequests]
}
