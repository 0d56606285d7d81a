package acctest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/simulator"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// Tokens obtains a bearer and a session from the simulator the way a user's own tooling would,
// for tests of the access_token / session_token settings. It speaks raw HTTP so the provider's
// client is not involved in the setup it is tested with.
func (e *Env) Tokens(t testing.TB) (bearer, session string) {
	t.Helper()
	bearer = e.Bearer(t)
	body, err := json.Marshal(thingspace.LoginRequest{Username: simulator.DefaultUsername, Password: simulator.DefaultPassword})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, e.Sim.URL()+thingspace.PathSessionLogin, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+bearer)
	req.Header.Set("Content-Type", "application/json")
	var login thingspace.LoginResponse
	call(t, req, &login)
	return bearer, login.SessionToken
}

// Bearer obtains a bearer without logging in. ThingSpace hands out the same bearer again while
// it lives, so this is also the bearer the provider uses in the same environment.
func (e *Env) Bearer(t testing.TB) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}}.Encode()
	req, err := http.NewRequest(http.MethodPost, e.Sim.URL()+thingspace.PathOAuthToken, strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(simulator.DefaultClientID, simulator.DefaultClientSecret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var token thingspace.TokenResponse
	call(t, req, &token)
	return token.AccessToken
}

func call(t testing.TB, req *http.Request, out any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s answered %d", req.Method, req.URL.Path, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("%s %s: decoding the answer: %v", req.Method, req.URL.Path, err)
	}
}
