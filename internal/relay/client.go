package relay

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
)

// Client defaults.
const (
	DefaultPollWait             = 25 * time.Second
	DefaultMaxConsecutiveErrors = 10
	DefaultRetryMinDelay        = 250 * time.Millisecond
	DefaultRetryMaxDelay        = 5 * time.Second

	// responseMargin is how long past the long-poll wait a response may take before the
	// request is abandoned as hung.
	responseMargin = 30 * time.Second
	// maxPageBytes bounds one answer (pageLimit callbacks of at most the default body size
	// each would be far less in practice).
	maxPageBytes = 64 << 20
)

// ClientConfig configures a Client.
type ClientConfig struct {
	BaseURL, Token string // Token is the relay's read token (provider: relay_token)
	HTTPClient     *http.Client
	UserAgent      string

	PollWait             time.Duration // how long each long-poll may be held; 0 = 25s
	MaxConsecutiveErrors int           // Follow gives up after this many failures in a row; 0 = 10
	// Backoff between retries doubles from RetryMinDelay up to RetryMaxDelay (0 = 250ms, 5s),
	// so with the defaults a relay that is unreachable for ~20s is survived.
	RetryMinDelay, RetryMaxDelay time.Duration
}

// Client reads callbacks from a relay. It is safe for concurrent use.
type Client struct {
	cfg  ClientConfig
	base *url.URL
}

// NewClient checks cfg and returns a client.
func NewClient(cfg ClientConfig) (*Client, error) {
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("relay URL %q is not an http:// or https:// URL (provider: relay_url or THINGSPACE_RELAY_URL)", cfg.BaseURL)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = http.DefaultClient
	}
	if cfg.PollWait <= 0 {
		cfg.PollWait = DefaultPollWait
	}
	cfg.PollWait = min(cfg.PollWait, MaxWait)
	if cfg.MaxConsecutiveErrors <= 0 {
		cfg.MaxConsecutiveErrors = DefaultMaxConsecutiveErrors
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
		return fmt.Sprintf("the relay refused the read token (HTTP %d): set relay_token (or THINGSPACE_RELAY_TOKEN) to the relay's --read-token", e.StatusCode)
	case http.StatusNotFound:
		return "the relay answered 404 Not Found: check that relay_url (or THINGSPACE_RELAY_URL) is the relay's base URL"
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

// Fetch makes one read: the callbacks of requestID after `after`, waiting up to wait (at most
// 60s) for the first one.
func (c *Client) Fetch(ctx context.Context, requestID string, after int64, wait time.Duration) (*Page, error) {
	if !ValidRequestID(requestID) {
		return nil, fmt.Errorf("request id %q is not valid: %s", truncate(requestID, 140), requestIDRule)
	}
	if after < 0 || wait < 0 || wait > MaxWait {
		return nil, fmt.Errorf("relay read: after must be >= 0 and wait within 0..%s", MaxWait)
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
		return nil, fmt.Errorf("reading request %s from the relay: %w", requestID, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, statusError(resp)
	}
	var page Page
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxPageBytes)).Decode(&page); err != nil {
		return nil, fmt.Errorf("reading request %s from the relay: the answer is not a page of callbacks: %w", requestID, err)
	}
	return &page, nil
}

func (c *Client) readURL(requestID string, after int64, wait time.Duration) string {
	u := *c.base
	u.Path = u.Path + "/v1/requests/" + requestID // the id's charset needs no escaping
	q := url.Values{}
	q.Set(paramAfter, strconv.FormatInt(after, 10))
	q.Set(paramWait, wait.String())
	u.RawQuery = q.Encode()
	return u.String()
}

func statusError(resp *http.Response) *StatusError {
	e := &StatusError{StatusCode: resp.StatusCode}
	var body errorBody
	if json.NewDecoder(io.LimitReader(resp.Body, 4096)).Decode(&body) == nil {
		e.Message = body.Error
	}
	if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
		e.RetryAfter = time.Duration(secs) * time.Second
	}
	return e
}

// Follow long-polls requestID from `after`, calling handle for each callback in order, until
// handle returns done=true (Follow returns nil), ctx ends (ctx.Err() wrapped), a permanent
// error (wrong token, bad request), or MaxConsecutiveErrors transient failures in a row. last is
// the Seq of the last callback handed to handle (or `after`).
func (c *Client) Follow(ctx context.Context, requestID string, after int64, handle func(Callback) (done bool)) (last int64, err error) {
	last = after
	failures := 0
	for {
		if err := ctx.Err(); err != nil {
			return last, fmt.Errorf("waiting for request %s on the relay: %w", requestID, err)
		}
		page, err := c.Fetch(ctx, requestID, last, c.cfg.PollWait)
		if err != nil {
			if ctx.Err() != nil {
				return last, fmt.Errorf("waiting for request %s on the relay: %w", requestID, ctx.Err())
			}
			if !retryable(err) {
				return last, err
			}
			failures++
			if failures >= c.cfg.MaxConsecutiveErrors {
				return last, fmt.Errorf("giving up on the relay after %d consecutive failures: %w", failures, err)
			}
			if err := clock.Sleep(ctx, c.backoff(failures, err)); err != nil {
				return last, fmt.Errorf("waiting for request %s on the relay: %w", requestID, err)
			}
			continue
		}
		failures = 0
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

// retryable: transport failures, 5xx and 429 may pass; a refused token or a bad request never will.
func retryable(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Temporary()
	}
	return true
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
		d = min(se.RetryAfter, MaxWait)
	}
	return d
}
