package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/bench/benchstack"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/relay"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/relayclient"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/simulator"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/testsupport/relaymetrics"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// Settings of the ThingSpace side, chosen so that only the devices' answer time limits the run.
const (
	callbackDelay = 2 * time.Second
	// maxDeliveries lets the simulator send every due callback at once: with 50 creates in
	// flight, at most 50 callbacks are due together, so the simulator never queues them.
	maxDeliveries = 256
)

// stack is a fresh simulator and relay for one measurement, so every count starts at zero.
type stack struct {
	sim *simulator.Simulator
	// relay serves on relayTap, which sees when each answer left the relay (relaytap.go).
	relay      *relay.Server
	relayStore relay.Store
	relayTap   *tapListener
	relayURL   string
	relayDone  chan error
	// readToken is the relay's bearer for readers (the provider and the shell script).
	readToken string
	// http reads the relay's /metrics; its own requests are not reads of callbacks.
	http *http.Client
}

// startStack starts a relay on a SQLite file in dir and a simulator that sends every device's
// success callback delay after the enable request (callbackDelay but where a measurement needs
// instant answers), to that relay. The simulator's accounts hold fleets from the start.
func startStack(ctx context.Context, dir string, fleets []simulator.Fleet, delay time.Duration) (*stack, error) {
	callbackUser, callbackPassword := "bench-callbacks", benchstack.RandomSecret()
	s := &stack{readToken: benchstack.RandomSecret(), http: &http.Client{Timeout: 10 * time.Second}}
	if err := s.startRelay(ctx, relay.Config{
		Store:            "sqlite:" + filepath.Join(dir, "relay.db"),
		CallbackUsername: callbackUser,
		CallbackPassword: callbackPassword,
		ReadToken:        s.readToken,
	}); err != nil {
		return nil, fmt.Errorf("starting the relay: %w", err)
	}
	var err error
	s.sim, err = simulator.Start(simulator.Options{
		MaxConcurrentDeliveries: maxDeliveries,
		Fleets:                  fleets,
		DefaultBehavior:         simulator.DeviceBehavior{Outcome: simulator.OutcomeSuccess, Delay: simulator.Duration(delay)},
		Listeners:               benchstack.RelayListener(s.relayURL, callbackUser, callbackPassword),
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("starting the simulator: %w", err), s.closeRelay())
	}
	return s, nil
}

// startRelay does what relay.Start does, but serves on a tapped loopback listener.
func (s *stack) startRelay(ctx context.Context, cfg relay.Config) error {
	var err error
	if s.relayStore, err = relay.OpenStore(ctx, cfg.Store); err != nil {
		return err
	}
	if s.relay, err = relay.NewServer(cfg, s.relayStore); err != nil {
		return errors.Join(err, s.relayStore.Close())
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return errors.Join(err, s.relayStore.Close())
	}
	s.relayTap, s.relayURL, s.relayDone = &tapListener{Listener: ln}, "http://"+ln.Addr().String(), make(chan error, 1)
	go func() { s.relayDone <- s.relay.Serve(s.relayTap) }()
	return nil
}

// closeRelay stops the relay as relay.Running.Close does: held long-polls are answered first.
func (s *stack) closeRelay() error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err := s.relay.Shutdown(ctx)
	if serveErr := <-s.relayDone; !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	return errors.Join(err, s.relayStore.Close())
}

// close stops the simulator first, so no callback is sent to a relay that is gone.
func (s *stack) close() error {
	return errors.Join(s.sim.Close(), s.closeRelay())
}

// env is the environment that points both the provider and the shell script at this stack, the
// way a CI pipeline configures them.
func (s *stack) env() []string {
	return benchstack.ProviderEnv(s.sim.URL(), s.relayURL, s.readToken)
}

// counts are the requests the two servers have received so far.
type counts struct {
	Token, Login, Enable, Other int // simulator, by endpoint
	RelayReads                  int // GET /v1/requests/{id}, answered
	RelayCallbacks              int // POST /callbacks, answered (the simulator's deliveries)
}

func (c counts) minus(before counts) counts {
	return counts{
		Token: c.Token - before.Token, Login: c.Login - before.Login, Enable: c.Enable - before.Enable,
		Other: c.Other - before.Other, RelayReads: c.RelayReads - before.RelayReads,
		RelayCallbacks: c.RelayCallbacks - before.RelayCallbacks,
	}
}

// counts snapshots the simulator's request log and the relay's read counter.
func (s *stack) counts(ctx context.Context) (counts, error) {
	var c counts
	for _, r := range s.sim.Requests() {
		switch r.Endpoint {
		case simulator.EndpointToken:
			c.Token++
		case simulator.EndpointLogin:
			c.Login++
		case simulator.EndpointProfileAction:
			c.Enable++
		default:
			c.Other++
		}
	}
	answered, err := relaymetrics.AnsweredRequests(ctx, s.http, s.relayURL)
	c.RelayReads, c.RelayCallbacks = answered[relay.RouteRequests], answered[relay.RouteCallbacks]
	return c, err
}

// finalCallback is the callback that gave a request its final answer, as the relay stored it.
type finalCallback struct {
	seq      int64
	storedAt time.Time // the relay's receivedAt
}

// finalCallbacks asks the relay for the final callback of each request: every benchmark request
// names one device, so it is the request's first final callback. Call it after the counts are
// taken: these reads are the benchmark's, not Terraform's.
func (s *stack) finalCallbacks(ctx context.Context, requestIDs []string) (map[string]finalCallback, error) {
	client, err := relayclient.New(relayclient.Config{BaseURL: s.relayURL, Token: s.readToken})
	if err != nil {
		return nil, err
	}
	out := make(map[string]finalCallback, len(requestIDs))
	for _, id := range requestIDs {
		page, err := client.Fetch(ctx, id, 0, 0)
		if err != nil {
			return nil, err
		}
		for _, c := range page.Callbacks {
			cb, err := thingspace.ParseCallback(c.Payload)
			if err == nil && cb.Outcome().Final() {
				out[id] = finalCallback{seq: c.Seq, storedAt: c.ReceivedAt}
				break
			}
		}
	}
	return out, nil
}
