package thingspace

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// Defaults for Config fields left at their zero value.
const (
	DefaultMaxRetries     = 5
	DefaultRequestTimeout = 60 * time.Second
	DefaultRetryMinDelay  = time.Second
	DefaultRetryMaxDelay  = 30 * time.Second
	DefaultUserAgent      = "terraform-provider-thingspace"
)

// Config says where ThingSpace is and how to authenticate. Each of the two tokens ThingSpace
// wants can be given directly or obtained from credentials; when both are set, the given token is
// used first and the credentials renew it once it expires.
type Config struct {
	BaseURL string // default DefaultBaseURL

	ClientID, ClientSecret string // OAuth client credentials, or:
	AccessToken            string // a bearer obtained elsewhere

	Username, Password string // M2M credentials, or:
	SessionToken       string // a session obtained elsewhere

	RequestTimeout time.Duration // per HTTP attempt; 0 = DefaultRequestTimeout
	// MaxRetries is how many times a failed call may be repeated after its first attempt (0:
	// never). Which failures qualify depends on the call: see retryPolicy.
	MaxRetries int
	// RetryMinDelay and RetryMaxDelay bound the exponential backoff; 0 = 1s and 30s.
	RetryMinDelay, RetryMaxDelay time.Duration
	// MaxDevicesPerRequest bounds a profile action; 0 = DefaultMaxDevicesPerRequest. A larger
	// request is refused before anything is sent.
	MaxDevicesPerRequest int
	UserAgent            string       // default DefaultUserAgent
	HTTPClient           *http.Client // nil = a dedicated client with sane transport settings
}

// withDefaults validates cfg and fills in its defaults. Errors name the provider attribute to
// set, since that is where users meet them.
func (cfg Config) withDefaults() (Config, error) {
	if err := cfg.checkAuth(); err != nil {
		return cfg, err
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if err := CheckHTTPURL(cfg.BaseURL); err != nil {
		return cfg, fmt.Errorf("base_url: %w", err)
	}
	if err := cfg.checkLimits(); err != nil {
		return cfg, err
	}
	cfg.RequestTimeout = orDefault(cfg.RequestTimeout, DefaultRequestTimeout)
	cfg.RetryMinDelay = orDefault(cfg.RetryMinDelay, DefaultRetryMinDelay)
	cfg.RetryMaxDelay = orDefault(cfg.RetryMaxDelay, DefaultRetryMaxDelay)
	if cfg.RetryMinDelay > cfg.RetryMaxDelay {
		return cfg, fmt.Errorf("the retry delays are inverted: the minimum (%s) is above the maximum (%s)", cfg.RetryMinDelay, cfg.RetryMaxDelay)
	}
	cfg.MaxDevicesPerRequest = orDefault(cfg.MaxDevicesPerRequest, DefaultMaxDevicesPerRequest)
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = newHTTPClient()
	}
	return cfg, nil
}

func (cfg Config) checkAuth() error {
	var problems []string
	for _, p := range []string{
		OAuthCredentials.problem(cfg.ClientID, cfg.ClientSecret, cfg.AccessToken),
		M2MCredentials.problem(cfg.Username, cfg.Password, cfg.SessionToken),
	} {
		if p != "" {
			problems = append(problems, p)
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

func (cfg Config) checkLimits() error {
	switch {
	case cfg.RequestTimeout < 0:
		return fmt.Errorf("request_timeout must not be negative (got %s)", cfg.RequestTimeout)
	case cfg.MaxRetries < 0:
		return fmt.Errorf("max_retries must be 0 or more (got %d)", cfg.MaxRetries)
	case cfg.RetryMinDelay < 0 || cfg.RetryMaxDelay < 0:
		return errors.New("retry delays must not be negative")
	case cfg.MaxDevicesPerRequest < 0:
		return fmt.Errorf("the devices-per-request limit must not be negative (got %d)", cfg.MaxDevicesPerRequest)
	}
	return nil
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// newHTTPClient is a client of our own rather than http.DefaultClient, so that nothing else in
// the process can change its transport. It has no overall timeout: each attempt gets a context
// deadline instead, which also covers reading the body.
func newHTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   32,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}}
}
