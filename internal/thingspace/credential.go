package thingspace

import (
	"context"
	"errors"
	"sync"
	"time"
)

// errCannotRenew says a token was given directly and there are no credentials to get another.
var errCannotRenew = errors.New("token was given directly and cannot be renewed")

// fetchFunc obtains a new token. stale is the token being replaced because the server refused
// it ("" when there was none, or it merely reached its renewal time). ttl 0 means unknown.
type fetchFunc func(ctx context.Context, stale string) (token string, ttl time.Duration, err error)

// credential is one token shared by every goroutine of a Client: the OAuth bearer or the M2M
// session. However many callers need it at once, one fetch runs and all of them wait for it
// (each still honouring its own context), because ThingSpace counts logins and five failed ones
// lock the account.
type credential struct {
	fetch fetchFunc // nil when the token was given and cannot be renewed
	now   func() time.Time
	// sticky says which fetch failures become the answer to every later request (nil: none),
	// so that a refused login is never sent a second time by this Client.
	sticky func(error) bool

	mu      sync.Mutex
	token   string
	renewAt time.Time // zero: no known expiry, use until refused
	flight  *flight
	failure error
}

// flight is one fetch in progress. It runs detached from any one caller, so that the caller who
// happened to start it can give up without failing the others; it is cancelled only when every
// waiter has given up.
type flight struct {
	done    chan struct{}
	cancel  context.CancelFunc
	waiters int
	token   string
	err     error
}

func newCredential(given string, fetch fetchFunc, now func() time.Time) *credential {
	return &credential{token: given, fetch: fetch, now: now}
}

// get returns the current token, fetching one if there is none or it is due for renewal.
func (c *credential) get(ctx context.Context) (string, error) {
	c.mu.Lock()
	if c.failure != nil {
		defer c.mu.Unlock()
		return "", c.failure
	}
	if c.token != "" && (c.renewAt.IsZero() || c.now().Before(c.renewAt)) {
		defer c.mu.Unlock()
		return c.token, nil
	}
	return c.join(ctx, "")
}

// renew replaces stale, a token the server refused; the next get returns the new one. Only the first caller to report a given
// stale token fetches; callers that used the same stale token share that fetch, and callers
// arriving after it finished get its result, so N callers seeing one expiry cost one renewal.
func (c *credential) renew(ctx context.Context, stale string) error {
	c.mu.Lock()
	if c.failure != nil {
		defer c.mu.Unlock()
		return c.failure
	}
	if c.flight == nil && c.token != "" && c.token != stale {
		c.mu.Unlock()
		return nil
	}
	_, err := c.join(ctx, stale)
	return err
}

// join waits for the fetch in progress, starting one if there is none. It is called with c.mu
// held and releases it.
func (c *credential) join(ctx context.Context, stale string) (string, error) {
	if c.fetch == nil {
		c.mu.Unlock()
		return "", errCannotRenew
	}
	f := c.flight
	if f == nil {
		fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		f = &flight{done: make(chan struct{}), cancel: cancel}
		c.flight = f
		go c.run(fctx, f, stale)
	}
	f.waiters++
	c.mu.Unlock()

	select {
	case <-f.done:
		return f.token, f.err
	case <-ctx.Done():
		c.leave(f)
		return "", ctx.Err()
	}
}

// leave records that a waiter gave up, and abandons the fetch when nobody is left waiting. An
// abandoned flight is detached at once, so a newcomer starts afresh instead of inheriting a
// cancellation it did not ask for.
func (c *credential) leave(f *flight) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f.waiters--
	if f.waiters == 0 {
		f.cancel()
		if c.flight == f {
			c.flight = nil
		}
	}
}

func (c *credential) run(ctx context.Context, f *flight, stale string) {
	defer f.cancel()
	token, ttl, err := c.fetch(ctx, stale)

	c.mu.Lock()
	if c.flight == f {
		c.flight = nil
	}
	switch {
	case err == nil:
		c.token, c.renewAt = token, renewalTime(c.now(), ttl)
	case ctx.Err() == nil && c.sticky != nil && c.sticky(err):
		// Abandoned fetches (every waiter gave up) never stick: they say nothing of the
		// credentials.
		c.failure = err
	}
	f.token, f.err = token, err
	c.mu.Unlock()
	close(f.done)
}

// current returns the token held now, without fetching.
func (c *credential) current() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.token
}

// clear forgets the token, so the next get fetches a new one.
func (c *credential) clear(token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == token {
		c.token, c.renewAt = "", time.Time{}
	}
}

// renewalTime is when a token that lives ttl should be replaced: a minute early, or 10% early
// for short lifetimes, so a call never sets out with a token about to expire on the way.
func renewalTime(now time.Time, ttl time.Duration) time.Time {
	if ttl <= 0 {
		return time.Time{}
	}
	return now.Add(ttl - min(time.Minute, ttl/10))
}
