package acctest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/relay"
)

// Credentials of the relay under fuzzing; the seed corpus (testdata/fuzz/FuzzRelayIngest) uses
// them so that the fuzzer starts from callbacks the relay accepts.
const (
	fuzzUser  = "fuzz-listener"
	fuzzPass  = "fuzz-listener-password"
	fuzzToken = "fuzz-read-token"
)

// FuzzRelayIngest posts arbitrary bodies to the relay's POST /callbacks, the one endpoint the
// internet reaches, and checks what the relay promises whatever it is sent: an answer that is
// a refusal or a durable store, never a crash or a server error; nothing stored without the
// listener credentials; and stored callbacks served without the echoed credentials.
func FuzzRelayIngest(f *testing.F) {
	f.Add([]byte(`{"username":"` + fuzzUser + `","password":"` + fuzzPass + `","requestId":"r-1","status":"Success"}`))
	handler := fuzzRelay(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/callbacks", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK:
		case http.StatusBadRequest, http.StatusUnauthorized, http.StatusRequestEntityTooLarge:
			if strings.Contains(rec.Body.String(), fuzzPass) {
				t.Fatalf("a refusal (%d) repeats the listener password: %s", rec.Code, rec.Body)
			}
			return
		default:
			t.Fatalf("answered %d %s, want 200, 400, 401 or 413", rec.Code, rec.Body)
		}
		if !hasCredentials(body) {
			t.Fatalf("stored a body without the listener credentials: %q", body)
		}
		var stored struct {
			RequestID string `json:"requestId"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &stored); err != nil || !relay.ValidRequestID(stored.RequestID) {
			t.Fatalf("the answer to a stored callback names no valid requestId: %s", rec.Body)
		}
		checkServedWithoutCredentials(t, handler, stored.RequestID)
	})
}

// hasCredentials reports whether body is a JSON object echoing the listener credentials.
// Numbers are kept as text, as the relay keeps them, so that one out of float range does not
// make a valid callback look invalid.
func hasCredentials(body []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var fields map[string]any
	return dec.Decode(&fields) == nil && fields["username"] == fuzzUser && fields["password"] == fuzzPass
}

// fuzzRelay is a relay server on an SQLite store of its own, served without a listener.
func fuzzRelay(f *testing.F) http.Handler {
	store, err := relay.OpenStore(context.Background(), "sqlite:"+filepath.Join(f.TempDir(), "relay.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = store.Close() })
	server, err := relay.NewServer(relay.Config{CallbackUsername: fuzzUser, CallbackPassword: fuzzPass, ReadToken: fuzzToken,
		MaxBodyBytes: 64 << 10}, store)
	if err != nil {
		f.Fatal(err)
	}
	return server.Handler()
}

func checkServedWithoutCredentials(t *testing.T, handler http.Handler, requestID string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/v1/requests/"+url.PathEscape(requestID)+"?after=0&wait=0s", nil)
	req.Header.Set("Authorization", "Bearer "+fuzzToken)
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	var page relay.Page
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &page) != nil || len(page.Callbacks) == 0 {
		t.Fatalf("reading back request %q: %d %s", requestID, rec.Code, rec.Body)
	}
	for _, c := range page.Callbacks {
		var payload map[string]json.RawMessage
		if err := json.Unmarshal(c.Payload, &payload); err != nil {
			t.Fatalf("served payload is not a JSON object: %s", c.Payload)
		}
		if _, ok := payload["username"]; ok {
			t.Fatalf("served payload still holds the echoed username: %s", c.Payload)
		}
		if _, ok := payload["password"]; ok {
			t.Fatalf("served payload still holds the echoed password: %s", c.Payload)
		}
	}
}
