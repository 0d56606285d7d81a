// Package relayclient is how the provider reads a request's callbacks from thingspace-relay:
// one read, everything stored so far, or a long-poll that follows the request until the caller
// has what it needs.
//
// It is separate from the relay's server so the provider binary links neither the stores nor
// their drivers; both sides share only internal/relaywire.
package relayclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/clock"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/relaywire"
)

// Defaults for Config fields left at zero.
const (
	DefaultPollWait      = 25 * time.Second
	DefaultReadAttempts  = 10
	DefaultRetryMinDelay = 250 * time.Millisecond
	// DefaultRetryMaxDelay caps the backoff while following a request through a relay outage,
	// so the wait resumes within seconds of the relay coming back.
	DefaultRetryMaxDelay = 5 * time.Second

	// responseMargin is how long past the long-poll wait a response may take before the
	// request is abandoned as hung.
	responseMargin = 30 * time.Second
	// maxPageBytes bounds one answer (PageLimit callbacks are far smaller in practice).
	maxPageBytes = 64 << 20
)

// Config configures a Client.
type Config struct {
	BaseURL, Token string // Token is the relay's read token (provider: relay_token)
	HTTPClient     *http.Client
	UserAgent      string

	PollWait time.Duration // how long each long-poll may be held; 0 = 25s
	// ReadAttempts bounds the attempts of ReadAll and Check (refresh and import), which must
	// answer promptly; Follow instead retries for as long as its context allows. 0 = 10.
	ReadAttempts int
	// Backoff between retries doubles from RetryMinDelay up to RetryMaxDelay (0 = 250ms, 5s).
	RetryMinDelay, RetryMaxDelay time.Duration

	// OnOutage, when set, is told once when a streak of failed reads starts (failures 1, err
	// the failure) and once when it ends (err nil, failures the streak's length), so a wait
	// through a relay restart logs two lines rather than one per attempt.
	OnOutage func(ctx context.Context, requestID string, failures int, err error)
}

// Client reads callbacks from a relay. It is safe for concurrent use.
type Client struct {
	cfg  Config
	base *url.URL
}

// New returns a client for cfg. The URL was validated where the user set it; an invalid one
// here is a programming error, reported plainly.
func New(cfg Config) (*Client, error) {
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("relay URL %q is not an http:// or https:// URL", cfg.BaseURL)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	if cfg.PollWait <= 0 {
		cfg.PollWait = DefaultPollWait
	}
	cfg.PollWait = min(cfg.PollWait, relaywire.MaxWait)
	if cfg.ReadAttempts <= 0 {
		cfg.ReadAttempts = DefaultReadAttempts
	}
	if cfg.RetryMinDelay <= 0 {
		cfg.RetryMinDelay = DefaultRetryMinDelay
	}
	if cfg.RetryMaxDelay <= 0 {
		cfg.RetryMaxDelay = DefaultRetryMaxDelay
	}
	cfg.RetryMaxDelay = max(cfg.RetryMaxDelay, cfg.RetryMinDelay)
	return &Client{cfg: cfg, base: base}, nil
}

// StatusError is an answer from the relay other than 200.
type StatusError struct {
	StatusCode int
	Message    string        // the relay's explanation, when it gave one
	RetryAfter time.Duration // from a Retry-After header, when present
}

func (e *StatusError) Error() string {
	switch e.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		return fmt.Sprintf("the relay refused the read token (HTTP %d)", e.StatusCode)
	case http.StatusNotFound:
		return "the relay answered 404 Not Found, so the URL is not the relay's base URL"
	}
	if e.Message != "" {
		return fmt.Sprintf("the relay answered HTTP %d: %s", e.StatusCode, e.Message)
	}
	return fmt.Sprintf("the relay answered HTTP %d", e.StatusCode)
}

// Temporary reports whether trying again later may succeed.
func (e *StatusError) Temporary() bool {
	return e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500
}

// Permanent reports whether err is an answer that no retry can change (a refused token, a
// wrong URL, a bad request), as opposed to an outage.
func Permanent(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && !se.Temporary()
}

// Fetch makes one read: the callbacks of requestID after `after`, waiting up to wait (at most
// relaywire.MaxWait) for the first one.
func (c *Client) Fetch(ctx context.Context, requestID string, after int64, wait time.Duration) (*relaywire.Page, error) {
	if err := relaywire.CheckRequestID(requestID); err != nil {
		return nil, err
	}
	if after < 0 || wait < 0 || wait > relaywire.MaxWait {
		return nil, fmt.Errorf("relay read: after must be >= 0 and wait within 0..%s", relaywire.MaxWait)
	}
	ctx, cancel := context.WithTimeout(ctx, wait+responseMargin)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.readURL(requestID, after, wait), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if c.cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	}
	if c.cfg.UserAgent != "" {
		req.Header.Set("User-Agent", c.cfg.UserAgent)
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, statusError(resp)
	}
	var page relaywire.Page
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxPageBytes)).Decode(&page); err != nil {
		return nil, fmt.Errorf("the relay's answer is not a page of callbacks: %w", err)
	}
	return &page, nil
}

func (c *Client) readURL(requestID string, after int64, wait time.Duration) string {
	u := *c.base
	u.Path = u.Path + relaywire.RequestsPath + requestID // the id's charset needs no escaping
	q := url.Values{}
	q.Set(relaywire.ParamAfter, strconv.FormatInt(after, 10))
	q.Set(relaywire.ParamWait, wait.String())
	u.RawQuery = q.Encode()
	return u.String()
}

func statusError(resp *http.Response) *StatusError {
	e := &StatusError{StatusCode: resp.StatusCode}
	var body relaywire.ErrorBody
	if json.NewDecoder(io.LimitReader(resp.Body, 4096)).Decode(&body) == nil {
		e.Message = body.Error
	}
	if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
		e.RetryAfter = time.Duration(secs) * time.Second
	}
	return e
}

// checkID is read by Check. It is a valid request id that no callback carries, so the read
// proves the address and the token and returns nothing.
const checkID = "relay-check"

// Check proves that the relay answers and accepts the read token, retrying an outage a bounded
// number of times. Its errors name no request.
func (c *Client) Check(ctx context.Context) error {
	return c.retryBounded(ctx, func() error {
		_, err := c.Fetch(ctx, checkID, 0, 0)
		return err
	})
}

// ReadAll returns every callback stored for the request now, page by page, without waiting.
// An outage is retried a bounded number of times, since a refresh or an import must answer
// promptly rather than wait out a relay restart.
func (c *Client) ReadAll(ctx context.Context, requestID string) ([]relaywire.Callback, error) {
	var all []relaywire.Callback
	var after int64
	for {
		var page *relaywire.Page
		err := c.retryBounded(ctx, func() (err error) {
			page, err = c.Fetch(ctx, requestID, after, 0)
			return err
		})
		if err != nil {
			return nil, err
		}
		// A page that does not advance would loop forever; treat it as the end.
		if len(page.Callbacks) == 0 || page.Next <= after {
			return all, nil
		}
		all = append(all, page.Callbacks...)
		after = page.Next
	}
}

func (c *Client) retryBounded(ctx context.Context, read func() error) error {
	for attempt := 1; ; attempt++ {
		err := read()
		if err == nil || Permanent(err) || ctx.Err() != nil || attempt >= c.cfg.ReadAttempts {
			return err
		}
		if err := clock.Sleep(ctx, c.backoff(attempt, err)); err != nil {
			return err
		}
	}
}

// Follow long-polls requestID from `after`, calling handle for each callback in order, until
// handle returns done=true (Follow returns nil), ctx ends (ctx.Err() wrapped), or the relay
// gives a permanent answer (StatusError). An outage (refused connections, timeouts, 5xx, 429)
// is waited out for as long as ctx allows: a relay restarting or failing over during a long
// wait must not fail an apply whose devices are changing. last is the Seq of the last callback
// handed to handle (or `after`).
func (c *Client) Follow(ctx context.Context, requestID string, after int64, handle func(relaywire.Callback) (done bool)) (last int64, err error) {
	last = after
	failures := 0
	for {
		if err := ctx.Err(); err != nil {
			return last, err
		}
		page, err := c.Fetch(ctx, requestID, last, c.cfg.PollWait)
		if err != nil {
			if ctx.Err() != nil {
				return last, ctx.Err()
			}
			if Permanent(err) {
				return last, err
			}
			failures++
			if failures == 1 {
				c.notify(ctx, requestID, failures, err)
			}
			if err := clock.Sleep(ctx, c.backoff(failures, err)); err != nil {
				return last, err
			}
			continue
		}
		if failures > 0 {
			c.notify(ctx, requestID, failures, nil)
			failures = 0
		}
		for _, cb := range page.Callbacks {
			if cb.Seq <= last {
				continue // never hand the same callback twice
			}
			last = cb.Seq
			if handle(cb) {
				return last, nil
			}
		}
	}
}

func (c *Client) notify(ctx context.Context, requestID string, failures int, err error) {
	if c.cfg.OnOutage != nil {
		c.cfg.OnOutage(ctx, requestID, failures, err)
	}
}

// backoff doubles from RetryMinDelay to RetryMaxDelay with ±10% jitter (so many waiting
// resources do not retry in lockstep), and honours a longer Retry-After.
func (c *Client) backoff(failures int, err error) time.Duration {
	d := c.cfg.RetryMinDelay
	for i := 1; i < failures && d < c.cfg.RetryMaxDelay; i++ {
		d *= 2
	}
	d = min(d, c.cfg.RetryMaxDelay)
	d = time.Duration(float64(d) * (0.9 + 0.2*rand.Float64()))
	var se *StatusError
	if errors.As(err, &se) && se.RetryAfter > d {
		d = min(se.RetryAfter, relaywire.MaxWait)
	}
	return d
}
