package simulator

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

func TestTokenIsReusedWhileItLives(t *testing.T) {
	clock := newFakeClock()
	f := newFixture(t, Options{BearerLifetime: time.Hour, Now: clock.Now})

	var first, second, third thingspace.TokenResponse
	f.requestToken().json(t, &first)
	clock.Advance(10 * time.Minute)
	f.requestToken().json(t, &second)
	if first.AccessToken == "" || first.TokenType != "Bearer" || first.ExpiresIn != 3600 {
		t.Fatalf("first token answer = %+v, want a Bearer living 3600s", first)
	}
	if second.AccessToken != first.AccessToken || second.ExpiresIn != 3000 {
		t.Fatalf("second answer = %+v, want the same token with 3000s left", second)
	}
	clock.Advance(50 * time.Minute)
	if resp := f.do(http.MethodPost, thingspace.PathSessionLogin, bearerHeader(first.AccessToken), thingspace.LoginRequest{}); gatewayCode(t, resp) != thingspace.FaultInvalidCredentials {
		t.Fatalf("expired bearer was not refused with %s", thingspace.FaultInvalidCredentials)
	}
	f.requestToken().json(t, &third)
	if third.AccessToken == first.AccessToken || third.ExpiresIn != 3600 {
		t.Fatalf("after expiry got %+v, want a new token", third)
	}
}

func gatewayCode(t *testing.T, resp response) string {
	t.Helper()
	if resp.status != http.StatusUnauthorized {
		t.Fatalf("status = %d, want 401; body %s", resp.status, resp.body)
	}
	var fault thingspace.GatewayFault
	resp.json(t, &fault)
	return fault.Fault.Code
}

func TestTokenRefusals(t *testing.T) {
	f := newFixture(t, Options{})
	form := url.Values{"grant_type": {"client_credentials"}}.Encode()
	cases := []struct {
		name   string
		header http.Header
		body   string
		status int
		code   string
	}{
		{"wrong secret", formHeader("nope"), form, http.StatusUnauthorized, "invalid_client"},
		{"no credentials", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, form, http.StatusUnauthorized, "invalid_client"},
		{"JSON body", http.Header{"Authorization": {basicAuth(DefaultClientID, DefaultClientSecret)}, "Content-Type": {"application/json"}},
			`{"grant_type":"client_credentials"}`, http.StatusBadRequest, "invalid_request"},
		{"other grant", formHeader(DefaultClientSecret), "grant_type=password", http.StatusBadRequest, "unsupported_grant_type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp := f.do(http.MethodPost, thingspace.PathOAuthToken, c.header, c.body)
			var e thingspace.OAuthError
			resp.json(t, &e)
			if resp.status != c.status || e.Error != c.code || e.ErrorDescription == "" {
				t.Fatalf("got %d %+v, want %d %s", resp.status, e, c.status, c.code)
			}
		})
	}
}

func TestRevokeForcesANewBearer(t *testing.T) {
	f := newFixture(t, Options{})
	old := f.token()
	resp := f.do(http.MethodPost, thingspace.PathOAuthRevoke, formHeader(DefaultClientSecret), url.Values{"token": {old}}.Encode())
	if resp.status != http.StatusOK {
		t.Fatalf("revoke: %d %s", resp.status, resp.body)
	}
	if code := gatewayCode(t, f.loginAs(old, DefaultUsername, DefaultPassword)); code != thingspace.FaultInvalidCredentials {
		t.Fatalf("revoked bearer answered %s", code)
	}
	renewed := f.token()
	if renewed == old {
		t.Fatal("token endpoint returned the revoked bearer")
	}
	f.session(renewed)

	f.sim.RevokeBearers()
	if code := gatewayCode(t, f.loginAs(renewed, DefaultUsername, DefaultPassword)); code != thingspace.FaultInvalidCredentials {
		t.Fatalf("bearer after RevokeBearers answered %s", code)
	}
	if f.token() == renewed {
		t.Fatal("token endpoint returned a bearer revoked by RevokeBearers")
	}
}

func TestMissingBearer(t *testing.T) {
	f := newFixture(t, Options{})
	for _, h := range []http.Header{{}, {"Authorization": {"Bearer "}}, {"Authorization": {basicAuth("a", "b")}}} {
		h.Set("Content-Type", "application/json")
		if code := gatewayCode(t, f.do(http.MethodPost, thingspace.ProfileActionPath(thingspace.ActionEnable), h, profileRequest(eidA))); code != thingspace.FaultMissingCredentials {
			t.Errorf("Authorization %q answered %s, want %s", h.Get("Authorization"), code, thingspace.FaultMissingCredentials)
		}
	}
}

func TestSessionIdleExpiry(t *testing.T) {
	clock := newFakeClock()
	f := newFixture(t, Options{SessionIdleTimeout: 20 * time.Minute, BearerLifetime: 24 * time.Hour, Now: clock.Now})
	h := f.auth()
	list := func() response {
		return f.do(http.MethodGet, thingspace.CallbackListenersPath(DefaultAccount), h, nil)
	}
	for range 3 { // each use renews the idle timeout
		clock.Advance(19 * time.Minute)
		if resp := list(); resp.status != http.StatusOK {
			t.Fatalf("session used within its idle timeout refused: %d %s", resp.status, resp.body)
		}
	}
	clock.Advance(20 * time.Minute)
	e := list().m2mError(t, http.StatusBadRequest)
	if e.ErrorCode != "UnifiedWebService."+thingspace.CodeSessionExpired {
		t.Fatalf("idle session answered %q", e.ErrorCode)
	}
	h.Set(thingspace.HeaderSessionToken, f.session(h.Get("Authorization")[len("Bearer "):]))
	if resp := list(); resp.status != http.StatusOK {
		t.Fatalf("new session refused: %d", resp.status)
	}
}

func TestExpireSessionsAndLogout(t *testing.T) {
	f := newFixture(t, Options{})
	h := f.auth()
	path := thingspace.CallbackListenersPath(DefaultAccount)
	f.sim.ExpireSessions()
	if e := f.do(http.MethodGet, path, h, nil).m2mError(t, http.StatusBadRequest); e.ErrorCode != "UnifiedWebService."+thingspace.CodeSessionExpired {
		t.Fatalf("after ExpireSessions: %q", e.ErrorCode)
	}

	h = f.auth()
	resp := f.do(http.MethodPost, thingspace.PathSessionLogout, h, nil)
	var lr thingspace.LoginResponse
	resp.json(t, &lr)
	if resp.status != http.StatusOK || lr.SessionToken != h.Get(thingspace.HeaderSessionToken) {
		t.Fatalf("logout: %d %s", resp.status, resp.body)
	}
	if e := f.do(http.MethodGet, path, h, nil).m2mError(t, http.StatusBadRequest); e.ErrorCode != "UnifiedWebService."+thingspace.CodeSessionTokenInvalid {
		t.Fatalf("after logout: %q", e.ErrorCode)
	}
	h.Del(thingspace.HeaderSessionToken)
	if e := f.do(http.MethodGet, path, h, nil).m2mError(t, http.StatusBadRequest); e.ErrorCode != "UnifiedWebService."+thingspace.CodeSessionTokenInvalid {
		t.Fatalf("without a session: %q", e.ErrorCode)
	}
}

// TestLoginLockout proves what makes a retried login dangerous: MaxFailedLogins failures lock
// the user, even for the right password, until Reset.
func TestLoginLockout(t *testing.T) {
	f := newFixture(t, Options{})
	bearer := f.token()
	for i := range thingspace.MaxFailedLogins {
		e := f.loginAs(bearer, DefaultUsername, "wrong").m2mError(t, http.StatusBadRequest)
		if e.ErrorCode != "UnifiedWebService."+thingspace.CodeLoginFailed {
			t.Fatalf("failure %d answered %q", i+1, e.ErrorCode)
		}
	}
	e := f.loginAs(bearer, DefaultUsername, DefaultPassword).m2mError(t, http.StatusBadRequest)
	if e.ErrorCode != "UnifiedWebService."+thingspace.CodeAccountLocked {
		t.Fatalf("right password after %d failures answered %q, want locked", thingspace.MaxFailedLogins, e.ErrorCode)
	}
	f.sim.Reset()
	f.session(f.token())
}

func TestSuccessfulLoginClearsFailures(t *testing.T) {
	f := newFixture(t, Options{Username: "u", Password: "p"})
	bearer := f.token()
	for range thingspace.MaxFailedLogins - 1 {
		f.loginAs(bearer, "u", "wrong").m2mError(t, http.StatusBadRequest)
	}
	if resp := f.loginAs(bearer, "u", "p"); resp.status != http.StatusOK {
		t.Fatalf("login with the configured credentials: %d %s", resp.status, resp.body)
	}
	f.loginAs(bearer, "u", "wrong").m2mError(t, http.StatusBadRequest)
	if resp := f.loginAs(bearer, "u", "p"); resp.status != http.StatusOK {
		t.Fatalf("the failure count was not reset by a successful login: %d %s", resp.status, resp.body)
	}
}

func TestLoginNeedsBearerAndJSON(t *testing.T) {
	f := newFixture(t, Options{})
	if code := gatewayCode(t, f.loginAs("unknown", DefaultUsername, DefaultPassword)); code != thingspace.FaultInvalidCredentials {
		t.Fatalf("unknown bearer: %s", code)
	}
	h := bearerHeader(f.token())
	h.Set("Content-Type", "text/plain")
	resp := f.do(http.MethodPost, thingspace.PathSessionLogin, h, `{"username":"sim-user","password":"sim-password"}`)
	if resp.status != http.StatusUnsupportedMediaType {
		t.Fatalf("text/plain login: %d %s", resp.status, resp.body)
	}
}
