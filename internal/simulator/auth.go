package simulator

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

const (
	grantClientCredentials = "client_credentials"
	formMediaType          = "application/x-www-form-urlencoded"
	// bearerScope is what ThingSpace's gateway reports as the token's scope.
	bearerScope = "am_application_scope default"
)

// handleToken issues the OAuth bearer. While a bearer lives it is returned again, with
// expires_in counting down, as ThingSpace does.
func (s *Simulator) handleToken(w http.ResponseWriter, r *http.Request) {
	if !s.readOAuthForm(w, r) {
		return
	}
	if grant := r.PostForm.Get("grant_type"); grant != grantClientCredentials {
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type",
			fmt.Sprintf("grant_type must be %q", grantClientCredentials))
		return
	}
	token, left := s.issueBearer()
	writeJSON(w, http.StatusOK, thingspace.TokenResponse{
		AccessToken: token, TokenType: "Bearer", ExpiresIn: expiresIn(left), Scope: bearerScope,
	})
}

// expiresIn rounds the remaining lifetime down to seconds, but never to 0 while the token
// lives, so a sub-second lifetime set by a test still reads as "valid for now".
func expiresIn(left time.Duration) int64 {
	return max(int64(left/time.Second), 1)
}

func (s *Simulator) issueBearer() (string, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	st := s.state
	if exp, ok := st.bearers[st.currentBearer]; ok && now.Before(exp) {
		return st.currentBearer, exp.Sub(now)
	}
	st.currentBearer = newUUID()
	st.bearers[st.currentBearer] = now.Add(s.opts.BearerLifetime)
	return st.currentBearer, s.opts.BearerLifetime
}

// handleRevoke forgets a bearer (RFC 7009: unknown tokens are answered 200 too).
func (s *Simulator) handleRevoke(w http.ResponseWriter, r *http.Request) {
	if !s.readOAuthForm(w, r) {
		return
	}
	token := r.PostForm.Get("token")
	if token == "" {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "the form parameter token is required")
		return
	}
	s.mu.Lock()
	delete(s.state.bearers, token)
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// readOAuthForm checks the OAuth client's Basic credentials and parses the form body, answering
// the request itself when either is wrong.
func (s *Simulator) readOAuthForm(w http.ResponseWriter, r *http.Request) bool {
	id, secret, ok := r.BasicAuth()
	if !ok || !equalSecret(id, s.opts.ClientID) || !equalSecret(secret, s.opts.ClientSecret) {
		w.Header().Set("WWW-Authenticate", `Basic realm="ThingSpace"`)
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client",
			"Client authentication failed: send Authorization: Basic base64(client_id:client_secret)")
		return false
	}
	if !hasMediaType(r, formMediaType) {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "Content-Type must be "+formMediaType)
		return false
	}
	r.Body = http.MaxBytesReader(nil, r.Body, maxBodyBytes)
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "the form body cannot be parsed")
		return false
	}
	return true
}

func equalSecret(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// handleLogin opens an M2M session. Failures are counted per user, and MaxFailedLogins
// consecutive ones lock the user until Reset, even with the right password afterwards.
func (s *Simulator) handleLogin(w http.ResponseWriter, r *http.Request) {
	if !s.checkBearer(w, r) {
		return
	}
	var req thingspace.LoginRequest
	if !readJSON(w, r, serviceUWS, &req) {
		return
	}
	token, code := s.login(req)
	switch code {
	case "":
		writeJSON(w, http.StatusOK, thingspace.LoginResponse{SessionToken: token})
	case thingspace.CodeAccountLocked:
		writeM2MError(w, http.StatusBadRequest, serviceUWS, code, fmt.Sprintf(
			"The user is locked after %d failed logins. Contact Verizon to unlock it (in the simulator: Reset).", thingspace.MaxFailedLogins))
	default:
		writeM2MError(w, http.StatusBadRequest, serviceUWS, code, "Invalid username or password.")
	}
}

func (s *Simulator) login(req thingspace.LoginRequest) (token, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state
	if st.failedLogins[req.Username] >= thingspace.MaxFailedLogins {
		return "", thingspace.CodeAccountLocked
	}
	if !equalSecret(req.Username, s.opts.Username) || !equalSecret(req.Password, s.opts.Password) {
		st.failedLogins[req.Username]++
		s.log.Warn("login refused", "failures", st.failedLogins[req.Username])
		return "", thingspace.CodeLoginFailed
	}
	delete(st.failedLogins, req.Username)
	token = newUUID()
	st.sessions[token] = &session{lastUsed: s.opts.Now()}
	return token, ""
}

// handleLogout ends the session it is called with.
func (s *Simulator) handleLogout(w http.ResponseWriter, r *http.Request) {
	if !s.authorize(w, r) {
		return
	}
	token := r.Header.Get(thingspace.HeaderSessionToken)
	s.mu.Lock()
	delete(s.state.sessions, token)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, thingspace.LoginResponse{SessionToken: token})
}

// authorize checks both tokens of an M2M call in ThingSpace's order (the gateway's bearer
// first, then the session) and answers the request itself when one is wrong.
func (s *Simulator) authorize(w http.ResponseWriter, r *http.Request) bool {
	return s.checkBearer(w, r) && s.checkSession(w, r)
}

func (s *Simulator) checkBearer(w http.ResponseWriter, r *http.Request) bool {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		writeGatewayFault(w, http.StatusUnauthorized, thingspace.FaultMissingCredentials, "Missing Credentials",
			"Make sure your API invocation call has a header: 'Authorization: Bearer ACCESS_TOKEN'")
		return false
	}
	s.mu.Lock()
	exp, known := s.state.bearers[token]
	valid := known && s.opts.Now().Before(exp)
	s.mu.Unlock()
	if !valid {
		writeGatewayFault(w, http.StatusUnauthorized, thingspace.FaultInvalidCredentials, "Invalid Credentials",
			"Make sure you have provided the correct security credentials; the access token may have expired or been revoked")
		return false
	}
	return true
}

// checkSession accepts a known session used within the idle timeout, and renews that timeout.
func (s *Simulator) checkSession(w http.ResponseWriter, r *http.Request) bool {
	code, message := s.touchSession(r.Header.Get(thingspace.HeaderSessionToken))
	if code == "" {
		return true
	}
	writeM2MError(w, http.StatusBadRequest, serviceUWS, code, message)
	return false
}

func (s *Simulator) touchSession(token string) (code, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.state.sessions[token]
	now := s.opts.Now()
	switch {
	case token == "" || sess == nil:
		return thingspace.CodeSessionTokenInvalid, "The " + thingspace.HeaderSessionToken + " header does not hold a valid session token; log in first."
	case sess.expired || now.Sub(sess.lastUsed) >= s.opts.SessionIdleTimeout:
		sess.expired = true
		return thingspace.CodeSessionExpired, "The session token has expired; log in again."
	}
	sess.lastUsed = now
	return "", ""
}

// ExpireSessions ends every session, as if each had been idle too long.
func (s *Simulator) ExpireSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sess := range s.state.sessions {
		sess.expired = true
	}
}

// RevokeBearers invalidates every bearer; the next token request gets a new one.
func (s *Simulator) RevokeBearers() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.state.bearers)
}
