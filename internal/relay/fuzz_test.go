package relay

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/relaywire"
)

// FuzzIngest throws arbitrary bodies at POST /callbacks. Whatever arrives, the relay answers
// with a JSON body and one of the documented codes, never echoes the listener password, stores
// only what it acknowledged, strips the echoed credentials from what it stores, and recognises
// an immediate redelivery as a duplicate. Seeds: testdata/fuzz/FuzzIngest.
func FuzzIngest(f *testing.F) {
	store, err := OpenStore(context.Background(), testStoreDSN(f, "sqlite"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { store.Close() })
	// Most fuzzed bodies carry wrong credentials; throttling their one source after five would
	// leave nothing but 429s to fuzz.
	srv, err := NewServer(Config{CallbackUsername: testUser, CallbackPassword: testPass, ReadToken: testToken, MaxBodyBytes: 64 << 10,
		CallbackFailureLimit: 1 << 30}, store)
	if err != nil {
		f.Fatal(err)
	}
	handler := srv.Handler()
	f.Fuzz(func(t *testing.T, body []byte) {
		code, answer := fuzzPost(handler, body)
		switch code {
		case http.StatusOK, http.StatusBadRequest, http.StatusUnauthorized, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("answered %d %s", code, answer)
		}
		if !json.Valid(answer) {
			t.Fatalf("answer is not JSON: %q", answer)
		}
		if bytes.Contains(answer, []byte(testPass)) {
			t.Fatalf("answer echoes the listener password: %s", answer)
		}
		if code != http.StatusOK {
			return
		}
		var stored ingestResponse
		if err := json.Unmarshal(answer, &stored); err != nil || stored.Seq <= 0 || relaywire.CheckRequestID(stored.RequestID) != nil {
			t.Fatalf("200 answer %s does not name a valid request and sequence number", answer)
		}
		checkStoredCopy(t, store, stored)
		if code, again := fuzzPost(handler, body); code != http.StatusOK || !bytes.Contains(again, []byte(`"duplicate":true`)) {
			t.Fatalf("redelivery answered %d %s, want a 200 duplicate", code, again)
		}
	})
}

func fuzzPost(h http.Handler, body []byte) (int, []byte) {
	req := httptest.NewRequest(http.MethodPost, "/callbacks", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

// checkStoredCopy finds the acknowledged callback in the store and checks it carries no
// listener credentials.
func checkStoredCopy(t *testing.T, store Store, stored ingestResponse) {
	t.Helper()
	cbs, err := store.List(context.Background(), stored.RequestID, stored.Seq-1, 1)
	if err != nil || len(cbs) != 1 || cbs[0].Seq != stored.Seq {
		t.Fatalf("acknowledged seq %d of %s is not in the store (%v, %v)", stored.Seq, stored.RequestID, cbs, err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(cbs[0].Payload, &fields); err != nil {
		t.Fatalf("stored payload is not a JSON object: %q", cbs[0].Payload)
	}
	for key := range fields {
		if lower := strings.ToLower(key); lower == "username" || lower == "password" {
			t.Fatalf("stored payload keeps %q: %s", key, cbs[0].Payload)
		}
	}
}
