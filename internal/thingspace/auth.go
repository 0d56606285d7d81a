package thingspace

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// Operation names of the authentication calls, as errors and logs show them.
const (
	opToken  = "get OAuth token"
	opRevoke = "revoke OAuth token"
	opLogin  = "login"
	opLogout = "logout"
)

// fetchBearer obtains a bearer with the client credentials. When the server refused stale, it
// is revoked first: ThingSpace hands out the same token again until it expires, so without the
// revocation the renewal would fetch the refused token back.
func (c *Client) fetchBearer(ctx context.Context, stale string) (string, time.Duration, error) {
	if stale != "" {
		c.revoke(ctx, stale)
	}
	var tok TokenResponse
	err := c.do(ctx, &request{
		op: opToken, method: http.MethodPost, path: PathOAuthToken,
		form: url.Values{"grant_type": {"client_credentials"}},
		auth: authBasic, policy: retryIdempotent,
	}, &tok)
	var e *Error
	if errors.As(err, &e) && e.HTTPStatus >= 400 && e.HTTPStatus < 500 && e.HTTPStatus != http.StatusTooManyRequests {
		e.Hint = "Check client_id and client_secret (the ThingSpace API key and secret)"
	}
	if err != nil {
		return "", 0, err
	}
	if tok.AccessToken == "" {
		return "", 0, fmt.Errorf("%s: ThingSpace answered without an access_token", opToken)
	}
	return tok.AccessToken, time.Duration(tok.ExpiresIn) * time.Second, nil
}

// revoke asks ThingSpace to forget a refused bearer. It is best effort: the renewal goes on
// whatever the answer, so a failure is only logged.
func (c *Client) revoke(ctx context.Context, token string) {
	err := c.do(ctx, &request{
		op: opRevoke, method: http.MethodPost, path: PathOAuthRevoke,
		form: url.Values{"token": {token}},
		auth: authBasic, policy: retryNever,
	}, nil)
	if err != nil {
		c.logDebug(ctx, "revoking the refused bearer failed; renewing it anyway", map[string]any{"error": err.Error()})
	}
}

// login opens an M2M session. It is sent once and never repeated, whatever the answer: five
// failed logins in a row lock the account until the customer calls Verizon. (A bearer the
// gateway refuses is renewed and the login sent again, since the gateway stopped it before the
// M2M service could count it; see Client.do.)
func (c *Client) login(ctx context.Context, _ string) (string, time.Duration, error) {
	var res LoginResponse
	err := c.do(ctx, &request{
		op: opLogin, method: http.MethodPost, path: PathSessionLogin,
		body: LoginRequest{Username: c.cfg.Username, Password: c.cfg.Password},
		auth: authBearer, policy: retryNever,
	}, &res)
	if err != nil {
		return "", 0, c.loginNotRetried(err)
	}
	if res.SessionToken == "" {
		return "", 0, fmt.Errorf("%s: ThingSpace answered without a sessionToken", opLogin)
	}
	return res.SessionToken, 0, nil
}

// loginNotRetried explains a failed login: which user, and why the client did not try again.
func (c *Client) loginNotRetried(err error) error {
	var e *Error
	what := "check username and password"
	if !errors.As(err, &e) || e.HTTPStatus >= 500 || e.HTTPStatus == http.StatusTooManyRequests {
		// Throttled, a server failure or no answer: nothing says the credentials are wrong.
		what = "ThingSpace failed to handle it, which says nothing against the credentials, so run Terraform again later"
	}
	hint := fmt.Sprintf("The login as M2M user %q was not retried, because %d failed logins in a row lock the account: %s",
		c.cfg.Username, MaxFailedLogins, what)
	if errors.As(err, &e) && e.Envelope != EnvelopeGateway {
		e.Hint = hint
		return err
	}
	return fmt.Errorf("%w. %s", err, hint)
}

// isRefusedLogin reports whether err is an answer of the M2M service refusing a login, which
// may count towards the account lock and so must never be repeated by this client. A gateway
// refusal, a throttled or unavailable service, or no answer at all did not reach the login
// check.
func isRefusedLogin(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Operation == opLogin && e.Envelope != EnvelopeGateway &&
		e.HTTPStatus != http.StatusTooManyRequests && e.HTTPStatus != http.StatusServiceUnavailable
}

// Logout ends the M2M session this client opened, if any. A session given in the
// configuration (session_token) belongs to whoever obtained it and is left open. A session
// that has already expired counts as ended.
func (c *Client) Logout(ctx context.Context) error {
	session := c.session.current()
	if c.cfg.Username == "" || session == "" {
		return nil
	}
	err := c.do(ctx, &request{
		op: opLogout, method: http.MethodPost, path: PathSessionLogout,
		auth: authSession, policy: retryUnsafe, session: session,
	}, nil)
	if err != nil && !isExpiredSession(err) {
		return err
	}
	c.session.clear(session)
	return nil
}
