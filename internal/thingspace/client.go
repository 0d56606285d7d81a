package thingspace

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/clock"
)

// maxResponseBytes bounds what one answer may hold. A full device-list page is a few MB; more
// than this is not ThingSpace.
const maxResponseBytes = 32 << 20

// Client calls ThingSpace. It is safe for concurrent use, and all its callers share one bearer
// and one M2M session: create one per provider instance.
type Client struct {
	cfg     Config
	bearer  *credential
	session *credential

	// Seams for tests, so that waiting is observed rather than slept through.
	now    func() time.Time
	sleep  func(ctx context.Context, d time.Duration) error
	jitter func(ceiling time.Duration) time.Duration
}

// NewClient checks cfg and returns a client. It sends nothing: tokens are obtained by the
// first call that needs them.
func NewClient(cfg Config) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("invalid ThingSpace configuration: %w", err)
	}
	c := &Client{cfg: cfg, now: time.Now, sleep: clock.Sleep, jitter: fullJitter}
	clock := func() time.Time { return c.now() }
	var fetchBearer, fetchSession fetchFunc
	if cfg.ClientID != "" {
		fetchBearer = c.fetchBearer
	}
	if cfg.Username != "" {
		fetchSession = c.login
	}
	c.bearer = newCredential(cfg.AccessToken, fetchBearer, clock)
	c.session = newCredential(cfg.SessionToken, fetchSession, clock)
	c.session.sticky = isRefusedLogin
	return c, nil
}

// Secrets returns every secret this client knows now: the configured ones and the tokens it
// has obtained, in that order (the bearer before the session). Callers mask them in their own
// logs and messages.
func (c *Client) Secrets() []string {
	var out []string
	for _, s := range []string{c.cfg.ClientSecret, c.cfg.AccessToken, c.cfg.Password, c.cfg.SessionToken,
		c.bearer.current(), c.session.current()} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// authMode says which credentials a request carries.
type authMode int

const (
	authBasic   authMode = iota // OAuth client credentials (token and revoke)
	authBearer                  // the bearer only (login)
	authSession                 // the bearer and the M2M session (every other call)
)

// request is one API call, before it is sent.
type request struct {
	op     string // in words, for errors and logs
	method string
	path   string
	body   any        // sent as JSON when not nil
	form   url.Values // sent as a form when not nil
	auth   authMode
	policy retryPolicy
	// session, when set, is the session token to send instead of the shared one; such a call
	// never renews the session (logout ends a particular session).
	session string
}

// do sends r, renewing the credentials once each when the server refuses them, and decodes a
// success into out. A refused bearer or expired session means the server did not act, so the
// call is repeated once with the new token whatever its retry policy; several callers that
// see the same refusal share one renewal (see credential.renew).
func (c *Client) do(ctx context.Context, r *request, out any) error {
	renewedBearer, renewedSession := false, false
	for {
		bearer, session, err := c.tokens(ctx, r)
		if err != nil {
			return err
		}
		err = c.send(ctx, r, bearer, session, out)
		switch {
		case r.auth != authBasic && !renewedBearer && isRefusedBearer(err):
			renewedBearer = true
			c.logDebug(ctx, "ThingSpace refused the bearer: renewing it", map[string]any{"operation": r.op})
			if err := c.renew(ctx, c.bearer, bearer, err, hintGivenAccessToken); err != nil {
				return err
			}
		case r.auth == authSession && r.session == "" && !renewedSession && isExpiredSession(err):
			renewedSession = true
			c.logDebug(ctx, "the M2M session has expired: logging in again", map[string]any{"operation": r.op})
			if err := c.renew(ctx, c.session, session, err, hintGivenSessionToken); err != nil {
				return err
			}
		default:
			return err
		}
	}
}

const (
	hintGivenAccessToken = "The access_token given in the configuration was refused (it has expired or was revoked) " +
		"and cannot be renewed: configure client_id and client_secret instead, so that the provider obtains and renews the bearer itself"
	hintGivenSessionToken = "The session_token given in the configuration has expired and cannot be renewed: " +
		"configure username and password instead, so that the provider logs in and renews the session itself"
)

// renew replaces a refused token. A token that was given directly cannot be replaced: the
// server's refusal is returned with hint, which tells the user what to configure instead.
func (c *Client) renew(ctx context.Context, cred *credential, stale string, refusal error, hint string) error {
	err := cred.renew(ctx, stale)
	if !errors.Is(err, errCannotRenew) {
		return err
	}
	var e *Error
	if errors.As(refusal, &e) {
		withHint := *e
		withHint.Hint = hint
		return &withHint
	}
	return fmt.Errorf("%w. %s", refusal, hint)
}

// tokens returns the bearer and session r needs, obtaining them if need be.
func (c *Client) tokens(ctx context.Context, r *request) (bearer, session string, err error) {
	if r.auth == authBasic {
		return "", "", nil
	}
	if bearer, err = c.bearer.get(ctx); err != nil {
		return "", "", err
	}
	if r.auth != authSession {
		return bearer, "", nil
	}
	if r.session != "" {
		return bearer, r.session, nil
	}
	session, err = c.session.get(ctx)
	return bearer, session, err
}

func isRefusedBearer(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Envelope == EnvelopeGateway && e.Code == FaultInvalidCredentials
}

func isExpiredSession(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Envelope == EnvelopeM2M && strings.HasSuffix(e.Code, CodeSessionExpired)
}

// answer is what one attempt got back.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// send sends r, repeating it as its retry policy allows, and decodes a success into out.
func (c *Client) send(ctx context.Context, r *request, bearer, session string, out any) error {
	payload, contentType, err := r.encode()
	if err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		got, err := c.attempt(ctx, r, attempt, payload, contentType, bearer, session)
		if err == nil && got.status >= 200 && got.status < 300 {
			// Decoded even when ctx has just ended: an answer that says ThingSpace acted (a
			// requestId) must never be thrown away.
			return r.decode(got.body, out)
		}
		if ctx.Err() != nil {
			return c.stopped(ctx, r, got, err, attempt)
		}
		retry, reason := r.policy.retryable(got.status, err)
		if !retry || attempt > c.cfg.MaxRetries {
			c.logDebug(ctx, "ThingSpace request not retried", map[string]any{
				"operation": r.op, "attempt": attempt, "reason": reason})
			return c.failure(r, got, err, attempt)
		}
		delay := c.backoff(attempt+1, got.header)
		c.logDebug(ctx, "repeating ThingSpace request", map[string]any{
			"operation": r.op, "attempt": attempt, "reason": reason, "delay": delay.String()})
		if err := c.sleep(ctx, delay); err != nil {
			return fmt.Errorf("%s: stopped while waiting to repeat the request: %w", r.op, err)
		}
	}
}

// attempt sends r once, bounded by the request timeout, and reads the whole answer.
func (c *Client) attempt(ctx context.Context, r *request, attempt int, payload []byte, contentType, bearer, session string) (answer, error) {
	actx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, r.method, c.cfg.BaseURL+r.path, bytes.NewReader(payload))
	if err != nil {
		return answer{}, err
	}
	c.setHeaders(req, r, contentType, bearer, session)

	start := time.Now()
	fields := map[string]any{"operation": r.op, "method": r.method, "path": r.path, "attempt": attempt}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		fields["duration_ms"], fields["error"] = time.Since(start).Milliseconds(), err.Error()
		c.logDebug(ctx, "ThingSpace request got no answer", fields)
		return answer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	fields["duration_ms"], fields["status"] = time.Since(start).Milliseconds(), resp.StatusCode
	c.logDebug(ctx, "ThingSpace request answered", fields)
	if err != nil {
		return answer{status: resp.StatusCode, header: resp.Header}, err
	}
	return answer{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

func (c *Client) setHeaders(req *http.Request, r *request, contentType, bearer, session string) {
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	switch r.auth {
	case authBasic:
		req.SetBasicAuth(c.cfg.ClientID, c.cfg.ClientSecret)
	case authBearer, authSession:
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if session != "" {
		req.Header.Set(HeaderSessionToken, session)
	}
}

// failure builds the error for an attempt that will not be repeated.
func (c *Client) failure(r *request, got answer, transportErr error, attempts int) error {
	if transportErr != nil {
		return c.transportFailure(r, transportErr, attempts)
	}
	e := decodeError(r.op, got.status, got.body, c.Secrets())
	e.Attempts = attempts
	if r.policy == retryUnsafe && got.status >= 500 && got.status != http.StatusServiceUnavailable {
		e.Hint = hintMayHaveActed
		e.OutcomeUnknown = true
	}
	return e
}

const hintMayHaveActed = "ThingSpace may have acted on the request, so it was not repeated automatically: " +
	"check the outcome before trying again"

// ErrOutcomeUnknown is wrapped by the error of a call that is unsafe to repeat (a profile
// action) when it failed after ThingSpace may have acted on it: an answer of 500, 502 or 504,
// a connection lost after the request was sent, no answer in time, or the caller giving up
// while the request was on its way. The caller must find out what happened before sending it
// again, or risk acting twice.
var ErrOutcomeUnknown = errors.New(hintMayHaveActed)

// stopped is the error of a call whose context ended during an attempt. A complete answer is
// still reported as such, since it may say ThingSpace acted (a 500 to a profile action).
func (c *Client) stopped(ctx context.Context, r *request, got answer, transportErr error, attempt int) error {
	if transportErr == nil {
		if f := c.failure(r, got, nil, attempt); errors.Is(f, ErrOutcomeUnknown) {
			return f
		}
	}
	err := fmt.Errorf("%s: stopped: %w", r.op, ctx.Err())
	if r.policy == retryUnsafe && transportErr != nil && !nothingSent(transportErr) {
		return fmt.Errorf("%w. %w", err, ErrOutcomeUnknown)
	}
	return err
}

func (c *Client) transportFailure(r *request, err error, attempts int) error {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err // its text repeats the whole URL; method and path are enough
	}
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("no answer within the request timeout of %s: %w", c.cfg.RequestTimeout, err)
	}
	msg := fmt.Sprintf("%s: %s %s", r.op, r.method, r.path)
	if attempts > 1 {
		msg += fmt.Sprintf(" (gave up after %d attempts)", attempts)
	}
	if r.policy == retryUnsafe && !nothingSent(err) {
		return fmt.Errorf("%s: %w. %w", msg, err, ErrOutcomeUnknown)
	}
	return fmt.Errorf("%s: %w", msg, err)
}

func (r *request) encode() (payload []byte, contentType string, err error) {
	switch {
	case r.form != nil:
		return []byte(r.form.Encode()), "application/x-www-form-urlencoded", nil
	case r.body != nil:
		payload, err = json.Marshal(r.body)
		if err != nil {
			return nil, "", fmt.Errorf("%s: encoding the request: %w", r.op, err)
		}
		return payload, "application/json", nil
	}
	return nil, "", nil
}

func (r *request) decode(body []byte, out any) error {
	if out == nil || len(bytes.TrimSpace(body)) == 0 && r.method == http.MethodDelete {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%s: ThingSpace answered with a body that is not the expected JSON: %w", r.op, err)
	}
	return nil
}
