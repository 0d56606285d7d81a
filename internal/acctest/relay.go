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
	"io"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/relay"
)

// Relay is a thingspace-relay serving on loopback with an SQLite store in the test's temporary
// directory, and credentials made up for this test.
type Relay struct {
	*relay.Running
	ReadToken        string
	CallbackUsername string
	CallbackPassword string
}

// StartRelay starts a relay and stops it when the test ends.
func StartRelay(t testing.TB) *Relay {
	t.Helper()
	r := &Relay{
		ReadToken:        RandomSecret(t),
		CallbackUsername: "listener-" + RandomSecret(t)[:8],
		CallbackPassword: RandomSecret(t),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	running, err := relay.Start(ctx, relay.Config{
		Listen:           "127.0.0.1:0",
		Store:            "sqlite:" + filepath.Join(t.TempDir(), "relay.db"),
		CallbackUsername: r.CallbackUsername,
		CallbackPassword: r.CallbackPassword,
		ReadToken:        r.ReadToken,
	})
	if err != nil {
		t.Fatalf("starting the relay: %v", err)
	}
	t.Cleanup(func() {
		if err := running.Close(); err != nil {
			t.Errorf("stopping the relay: %v", err)
		}
	})
	r.Running = running
	return r
}

// CallbacksURL is where ThingSpace (the simulator) must POST callbacks.
func (r *Relay) CallbacksURL() string { return r.URL() + "/callbacks" }

// Client returns a relay client with the read token and test-sized retry delays.
func (r *Relay) Client(t testing.TB) *relay.Client {
	t.Helper()
	c, err := relay.NewClient(relay.ClientConfig{
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

// Post delivers a callback as ThingSpace would, echoing the listener credentials, and fails the
// test unless the relay stored it (200).
func (r *Relay) Post(t testing.TB, payload map[string]any) {
	t.Helper()
	body := map[string]any{"username": r.CallbackUsername, "password": r.CallbackPassword}
	for k, v := range payload {
		body[k] = v
	}
	data, err := json.Marshal(body)
	if err != nil {
		t.Fatalf("encoding callback: %v", err)
	}
	resp, err := http.Post(r.CallbacksURL(), "application/json", bytes.NewReader(data))
	if err != nil {
		t.Fatalf("posting callback: %v", err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("relay answered %d to a callback: %s", resp.StatusCode, answer)
	}
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
