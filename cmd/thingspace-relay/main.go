// Command thingspace-relay receives ThingSpace callbacks, stores them durably and serves them to
// the Terraform provider by long-poll. Every flag can also be set through an environment
// variable THINGSPACE_RELAY_<FLAG> (upper case, "-" becomes "_"); a flag given on the command
// line wins. Run with --help for the list.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/relay"
)

func main() {
	os.Exit(run(os.Args[1:], os.LookupEnv, os.Stderr))
}

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// envPrefix starts every environment variable the relay reads.
const envPrefix = "THINGSPACE_RELAY_"

// envName is the environment variable that sets a flag.
func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// options are the command line after parsing.
type options struct {
	cfg      relay.Config
	logLevel slog.Level
}

func newFlagSet(o *options) *flag.FlagSet {
	fs := flag.NewFlagSet("thingspace-relay", flag.ContinueOnError)
	c := &o.cfg
	fs.StringVar(&c.Listen, "listen", relay.DefaultListen, "address to serve on (ThingSpace only calls ports 80, 443, 9001-9006, 50551-50559, 28200-28220)")
	fs.StringVar(&c.Store, "store", relay.DefaultStore, "sqlite:PATH, or a postgres:// URL for several replicas sharing one database")
	fs.StringVar(&c.CallbackUsername, "callback-username", "", "username registered with ThingSpace for the callback listener (required)")
	fs.StringVar(&c.CallbackPassword, "callback-password", "", "password registered with ThingSpace for the callback listener (required; prefer the environment variable)")
	fs.StringVar(&c.ReadToken, "read-token", "", "bearer token readers (the provider's relay_token) must present (required; prefer the environment variable)")
	fs.StringVar(&c.TLSCert, "tls-cert", "", "PEM certificate file: serve HTTPS (with --tls-key)")
	fs.StringVar(&c.TLSKey, "tls-key", "", "PEM private key file for --tls-cert")
	fs.StringVar(&c.EncryptionKeyFile, "encryption-key-file", "", "file of KEYID:BASE64 lines (32-byte keys, e.g. from openssl rand -base64 32): payloads are stored encrypted with the last key, earlier keys only decrypt; without it device credentials are stored in plain text")
	fs.Var(listFlag{&c.CallbackAllowCIDRs}, "callback-allow-cidr", "accept callbacks only from these sources (CIDR or address; repeat the flag, or comma-separate in the variable): copy Verizon's published ThingSpace callback ranges; others are refused with 403")
	fs.Var(listFlag{&c.TrustedProxyCIDRs}, "trusted-proxy-cidr", "reverse proxies (CIDR or address; repeatable) whose X-Forwarded-For names a callback's source; nobody else's is believed")
	fs.DurationVar(&c.Retention, "retention", relay.DefaultRetention, "callbacks older than this are purged")
	fs.Int64Var(&c.MaxBodyBytes, "max-body-bytes", relay.DefaultMaxBodyBytes, "larger callbacks are refused with 413")
	fs.BoolVar(&c.InsecureAllowAnonymous, "insecure-allow-anonymous", false, "allow running without callback credentials or read token (local experiments only)")
	fs.TextVar(&o.logLevel, "log-level", slog.LevelInfo, "debug, info, warn or error")
	return fs
}

// listFlag is a repeatable flag; each value, like its environment variable, may also hold a
// comma-separated list.
type listFlag struct{ values *[]string }

func (f listFlag) String() string {
	if f.values == nil {
		return ""
	}
	return strings.Join(*f.values, ",")
}

func (f listFlag) Set(v string) error {
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			*f.values = append(*f.values, item)
		}
	}
	return nil
}

// parseArgs applies the command line, then the environment for every flag the command line did
// not set.
func parseArgs(args []string, lookupEnv func(string) (string, bool), stderr io.Writer) (options, error) {
	var o options
	fs := newFlagSet(&o)
	fs.SetOutput(stderr)
	fs.Usage = func() { usage(fs, stderr) }
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q: thingspace-relay takes flags only (see --help)", fs.Arg(0))
	}
	onCommandLine := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { onCommandLine[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if onCommandLine[f.Name] {
			return
		}
		if v, ok := lookupEnv(envName(f.Name)); ok {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("environment variable %s: %w", envName(f.Name), err))
			}
		}
	})
	return o, errors.Join(errs...)
}

func usage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprintf(w, "Usage: thingspace-relay [flags]\n\n"+
		"Receives ThingSpace callbacks on POST /callbacks, stores them durably, and serves them on\n"+
		"GET /v1/requests/{requestId} to the Terraform provider. Every flag may instead be set by\n"+
		"the environment variable shown; a flag on the command line wins.\n\n"+
		"A source that sends %d callbacks with wrong credentials within %.0f minutes is answered 429\n"+
		"until those minutes have passed.\n\nFlags:\n", relay.DefaultCallbackFailureLimit, relay.DefaultCallbackFailureWindow.Minutes())
	fs.VisitAll(func(f *flag.Flag) {
		def := f.DefValue
		if def == "" {
			def = "none"
		}
		fmt.Fprintf(w, "  --%s\n      %s\n      env %s, default %s\n", f.Name, f.Usage, envName(f.Name), def)
	})
}

func run(args []string, lookupEnv func(string) (string, bool), stderr io.Writer) int {
	o, err := parseArgs(args, lookupEnv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "thingspace-relay: %v\n", err)
		return exitUsage
	}
	if err := o.cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "thingspace-relay: refusing to start:\n%v\n", err)
		return exitUsage
	}
	logger := newLogger(stderr, o.logLevel)
	o.cfg.Logger = logger
	if o.cfg.InsecureAllowAnonymous {
		defer logger.Warn("ran with --insecure-allow-anonymous: unauthenticated callbacks or reads were accepted")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	startCtx, cancel := context.WithTimeout(ctx, time.Minute)
	running, err := relay.Start(startCtx, o.cfg)
	cancel()
	if err != nil {
		logger.Error("cannot start", "error", err)
		return exitError
	}
	select {
	case <-ctx.Done():
		logger.Info("shutting down: answering held long-polls and finishing in-flight requests")
	case <-running.Done():
		logger.Error("stopped serving", "error", running.Err())
	}
	if err := running.Close(); err != nil {
		logger.Error("shutdown", "error", err)
		return exitError
	}
	logger.Info("stopped")
	return exitOK
}
