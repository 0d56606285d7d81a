// Command thingspace-simulator serves a stand-in for Verizon ThingSpace's M2M API on loopback,
// for the demo, manual experiments and the benchmarks. Run it with --help for the flags, the
// scenario format and the control endpoints.
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/template"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/simulator"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// exampleScenario is shown by --help and kept valid by the tests.
//
//go:embed scenario.example.json
var exampleScenario string

const (
	// defaultDelay is how long devices take to answer when the scenario does not say: long
	// enough for the demo to show waiting, short enough not to bore.
	defaultDelay = 2 * time.Second
	// shutdownGrace bounds how long requests in progress may finish after SIGINT/SIGTERM.
	shutdownGrace = 10 * time.Second
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run serves until ctx ends and returns the exit code: 0 after a clean stop or --help, 1 when
// the simulator cannot start, 2 for bad flags.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("thingspace-simulator", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors and help are printed below, help on stdout
	listen := fs.String("listen", "127.0.0.1:0", "")
	scenario := fs.String("scenario", "", "")
	logLevel := fs.String("log-level", "info", "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, helpText())
			return 0
		}
		fmt.Fprintf(stderr, "thingspace-simulator: %v\nRun thingspace-simulator --help for the flags.\n", err)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "thingspace-simulator: unexpected argument %q: everything is set by flags (see --help)\n", fs.Arg(0))
		return 2
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(stderr, "thingspace-simulator: --log-level %q: use debug, info, warn or error\n", *logLevel)
		return 2
	}
	opts, err := options(*scenario)
	if err != nil {
		fmt.Fprintf(stderr, "thingspace-simulator: %v\n", err)
		return 1
	}
	opts.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	return serve(ctx, *listen, opts, stdout, stderr)
}

// options reads the scenario, if any, and applies the binary's own default delay.
func options(scenarioPath string) (simulator.Options, error) {
	var opts simulator.Options
	if scenarioPath != "" {
		var err error
		if opts, err = simulator.LoadScenario(scenarioPath); err != nil {
			return opts, err
		}
	}
	if opts.DefaultBehavior == (simulator.DeviceBehavior{}) {
		opts.DefaultBehavior = simulator.DeviceBehavior{Outcome: simulator.OutcomeSuccess, Delay: simulator.Duration(defaultDelay)}
	}
	return opts, nil
}

func serve(ctx context.Context, listen string, opts simulator.Options, stdout, stderr io.Writer) int {
	sim, err := simulator.Listen(listen, opts)
	if err != nil {
		fmt.Fprintf(stderr, "thingspace-simulator: %v\n", err)
		return 1
	}
	// The demo and the benchmarks wait for exactly this line to learn the address.
	fmt.Fprintf(stdout, "thingspace-simulator listening on %s\n", sim.URL())
	<-ctx.Done()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := sim.Shutdown(shutdownCtx); err != nil {
		fmt.Fprintf(stderr, "thingspace-simulator: stopping: %v\n", err)
		return 1
	}
	return 0
}

func helpText() string {
	var outcomes, endpoints []string
	for _, o := range simulator.Outcomes() {
		outcomes = append(outcomes, string(o))
	}
	for _, e := range simulator.Endpoints() {
		endpoints = append(endpoints, string(e))
	}
	var b strings.Builder
	err := helpTemplate.Execute(&b, map[string]any{
		"ClientID": simulator.DefaultClientID, "ClientSecret": simulator.DefaultClientSecret,
		"Username": simulator.DefaultUsername, "Password": simulator.DefaultPassword,
		"Accounts": strings.Join(simulator.DefaultAccounts(), ", "), "Account": simulator.DefaultAccount, "Delay": defaultDelay,
		"BearerLifetime": thingspace.BearerLifetime, "SessionIdleTimeout": thingspace.SessionIdleTimeout,
		"MaxDevices": thingspace.DefaultMaxDevicesPerRequest, "PageSize": thingspace.DeviceListPageSize,
		"Threshold": thingspace.DefaultMaxCallbackThreshold, "RetryInterval": thingspace.DefaultCallbackRetryInterval,
		"Workers": simulator.DefaultMaxConcurrentDeliveries, "DeliveryTimeout": simulator.DefaultDeliveryTimeout,
		"Outcomes": strings.Join(outcomes, "|"), "Endpoints": strings.Join(endpoints, "|"),
		"Modes":   strings.Join([]string{string(simulator.FaultRespond), string(simulator.FaultDropBeforeHandling), string(simulator.FaultDropAfterHandling)}, "|"),
		"Example": exampleScenario, "CallbackPorts": thingspace.CallbackPortsText(),
	})
	if err != nil {
		panic("thingspace-simulator: help template: " + err.Error()) // a bug caught by the tests
	}
	return b.String()
}

var helpTemplate = template.Must(template.New("help").Option("missingkey=error").Parse(`Usage: thingspace-simulator [--listen ADDRESS] [--scenario FILE] [--log-level LEVEL]

Serves a stand-in for Verizon ThingSpace's M2M API at ThingSpace's own paths: OAuth token and
revoke, session login and logout, the five eUICC profile actions and the callbacks they cause,
callback listeners, the device list and the v2 request status. Once it serves it prints exactly
one line on stdout:

  thingspace-simulator listening on http://HOST:PORT

and it stops cleanly on SIGINT or SIGTERM (exit status 0).

Flags:
  --listen ADDRESS    host:port to serve on (default 127.0.0.1:0, a free loopback port)
  --scenario FILE     JSON file choosing credentials, accounts, lifetimes, callback settings,
                      device behaviours, initial faults and listeners (format below)
  --log-level LEVEL   debug, info, warn or error (default info). Logs go to stderr and never
                      contain passwords, secrets or tokens.
  --help              this text

Without a scenario: OAuth client {{.ClientID}} / {{.ClientSecret}}, M2M user {{.Username}} / {{.Password}},
accounts {{.Accounts}}, and every device succeeds {{.Delay}} after an action.

Scenario keys (all optional, durations as "2s" or "150ms"; unknown keys are refused):
  clientId, clientSecret, username, password    credentials the simulator accepts
  accounts                                      billing accounts that exist
  bearerLifetime, sessionIdleTimeout            token lifetimes (default {{.BearerLifetime}}, {{.SessionIdleTimeout}})
  maxDevicesPerRequest, deviceListPageSize      limits (default {{.MaxDevices}}, {{.PageSize}})
  maxCallbackThreshold, callbackRetryInterval   sends of an unacknowledged callback (default {{.Threshold}}, {{.RetryInterval}})
  maxConcurrentDeliveries, deliveryTimeout      callback sending (default {{.Workers}}, {{.DeliveryTimeout}})
  defaultBehavior                               behaviour of devices not listed under devices
  devices                                       behaviour by EID
  faults                                        faults injected at start
  listeners                                     callback listeners registered at start
  fleet                                         generated devices for the device list

  behaviour: {"outcome": "{{.Outcomes}}",
              "delay": "2s", "warningDelay": "1s", "failureCode": "REQUEST_FAILED.X",
              "failureMessage": "...", "duplicates": 0, "beforeResponse": false,
              "spelling": "camel|pascal|alternate"}
    delay and warningDelay count from the action; duplicates re-sends each acknowledged
    callback; beforeResponse delivers the callbacks before the action's HTTP response;
    spelling chooses the field names' case (pascal: RequestId, Device[{Kind, Identifier}],
    as ThingSpace's eUICC callback pages show; alternate: changes with every send).
  fault:     {"endpoint": "{{.Endpoints}}",
              "action": "enable", "method": "POST", "status": 429, "retryAfter": "1",
              "body": "...", "mode": "{{.Modes}}", "times": 1}
    method narrows a fault to one HTTP method (callbacks: POST registers, GET lists,
    DELETE removes a listener).
  listener:  {"account": "...", "name": "DeviceProfileService", "url": "http://...",
              "username": "...", "password": "..."}
    listeners registered here may use any port; a registration through the API is refused,
    as ThingSpace refuses it, unless its port is one of {{.CallbackPorts}}.
  fleet:     [{"count": 10000, "state": "active|deactive|suspend|pre-active",
               "account": "..."}]
    count devices per entry with GSMA-valid EIDs and Luhn-valid ICCIDs, the same in every
    run; state defaults to active and account to {{.Account}}.

Controls (JSON, under /_simulator/, never part of the real API):
  PUT  /_simulator/devices/{eid}     set a device's behaviour (body: a behaviour)
  GET  /_simulator/devices/{eid}     a device's state: identifiers, profile status, behaviour
  POST /_simulator/faults            inject a fault (body: a fault)
  POST /_simulator/expire-sessions   end every M2M session
  POST /_simulator/revoke-bearers    invalidate every OAuth bearer
  GET  /_simulator/requests          the request log (no secrets)
  GET  /_simulator/deliveries        the callback delivery log
  POST /_simulator/reset             back to the state at start (the scenario applies again)

Example scenario (cmd/thingspace-simulator/scenario.example.json):
{{.Example}}`))
