package relay

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Defaults for Config fields left at their zero value. They match the thingspace-relay flags.
const (
	DefaultListen        = "127.0.0.1:8080"
	DefaultStore         = "sqlite:thingspace-relay.db"
	DefaultRetention     = 720 * time.Hour
	DefaultMaxBodyBytes  = 1 << 20
	DefaultPurgeInterval = time.Hour
)

// Config configures a relay server. Its fields mirror the thingspace-relay flags.
type Config struct {
	Listen string // address to serve on; "127.0.0.1:0" picks a free port
	Store  string // "sqlite:PATH" or a postgres:// URL

	// CallbackUsername and CallbackPassword are the credentials registered with ThingSpace;
	// every callback body must echo them. ReadToken is the bearer readers must present.
	CallbackUsername, CallbackPassword, ReadToken string

	TLSCert, TLSKey string // PEM files; both set means HTTPS

	// EncryptionKeyFile holds the keys payloads are sealed with at rest (see seal.go); empty
	// stores them, device credentials included, in plain text.
	EncryptionKeyFile string

	// CallbackAllowCIDRs, when set, are the only sources callbacks are accepted from (CIDRs or
	// addresses); TrustedProxyCIDRs are the proxies whose X-Forwarded-For names the source.
	CallbackAllowCIDRs, TrustedProxyCIDRs []string
	// A source that sends CallbackFailureLimit callbacks with wrong credentials within
	// CallbackFailureWindow is answered 429 until the window ends; 0 = the defaults.
	CallbackFailureLimit  int
	CallbackFailureWindow time.Duration

	Retention    time.Duration // callbacks older than this are purged; 0 = DefaultRetention
	MaxBodyBytes int64         // larger callbacks are refused with 413; 0 = DefaultMaxBodyBytes

	// InsecureAllowAnonymous lets the relay run without callback credentials or a read token,
	// for local experiments only.
	InsecureAllowAnonymous bool

	Logger *slog.Logger // nil discards logs

	// PurgeInterval is how often the retention purge runs; 0 = DefaultPurgeInterval.
	PurgeInterval time.Duration
}

// withDefaults returns cfg with zero values replaced by defaults, or an error naming the setting
// that is wrong and the flag and environment variable that set it.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Listen == "" {
		cfg.Listen = DefaultListen
	}
	if cfg.Store == "" {
		cfg.Store = DefaultStore
	}
	if cfg.Retention == 0 {
		cfg.Retention = DefaultRetention
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.PurgeInterval == 0 {
		cfg.PurgeInterval = DefaultPurgeInterval
	}
	if cfg.CallbackFailureLimit == 0 {
		cfg.CallbackFailureLimit = DefaultCallbackFailureLimit
	}
	if cfg.CallbackFailureWindow == 0 {
		cfg.CallbackFailureWindow = DefaultCallbackFailureWindow
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return cfg, cfg.validate()
}

// Validate reports every problem with cfg at once, each naming the flag and environment variable
// that fixes it.
func (cfg Config) Validate() error {
	_, err := cfg.withDefaults()
	return err
}

func (cfg Config) validate() error {
	var errs []error
	if cfg.Retention < 0 {
		errs = append(errs, errors.New("retention must be positive: set --retention (THINGSPACE_RELAY_RETENTION) to a duration such as 720h"))
	}
	if cfg.MaxBodyBytes < 0 {
		errs = append(errs, errors.New("max body bytes must be positive: set --max-body-bytes (THINGSPACE_RELAY_MAX_BODY_BYTES)"))
	}
	if cfg.PurgeInterval < 0 {
		errs = append(errs, errors.New("purge interval must be positive"))
	}
	if cfg.CallbackFailureLimit < 0 || cfg.CallbackFailureWindow < 0 {
		errs = append(errs, errors.New("the callback failure limit and window must be positive"))
	}
	if _, err := newSourceFence(cfg.CallbackAllowCIDRs, cfg.TrustedProxyCIDRs); err != nil {
		errs = append(errs, err)
	}
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		errs = append(errs, errors.New("TLS needs both a certificate and a key: set --tls-cert (THINGSPACE_RELAY_TLS_CERT) and --tls-key (THINGSPACE_RELAY_TLS_KEY) together"))
	}
	if cfg.EncryptionKeyFile != "" {
		if _, err := loadKeyring(cfg.EncryptionKeyFile); err != nil {
			errs = append(errs, err)
		}
	}
	if (cfg.CallbackUsername == "") != (cfg.CallbackPassword == "") {
		errs = append(errs, errors.New("callback credentials come in pairs: set both --callback-username (THINGSPACE_RELAY_CALLBACK_USERNAME) and --callback-password (THINGSPACE_RELAY_CALLBACK_PASSWORD)"))
	}
	if !cfg.InsecureAllowAnonymous {
		errs = append(errs, cfg.requireCredentials()...)
	}
	return errors.Join(errs...)
}

// requireCredentials explains every missing secret at once, so an operator fixes them in one go.
func (cfg Config) requireCredentials() []error {
	var errs []error
	const hint = " (or pass --insecure-allow-anonymous for a local experiment)"
	if cfg.CallbackUsername == "" && cfg.CallbackPassword == "" {
		errs = append(errs, fmt.Errorf("no callback credentials: set --callback-username and --callback-password (THINGSPACE_RELAY_CALLBACK_USERNAME, THINGSPACE_RELAY_CALLBACK_PASSWORD) to the username and password registered with ThingSpace%s", hint))
	}
	if cfg.ReadToken == "" {
		errs = append(errs, fmt.Errorf("no read token: set --read-token (THINGSPACE_RELAY_READ_TOKEN) to the bearer token the provider sends as relay_token%s", hint))
	}
	return errs
}
