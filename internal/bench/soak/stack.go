package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/bench/benchstack"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/relay"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/relayclient"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/simulator"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/testsupport/relayrestart"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

const (
	// callbackRetryInterval and maxCallbackSends let a callback outlive a relay restart: the
	// simulator keeps offering it for about 10 s, several times longer than the relay is down.
	callbackRetryInterval = 500 * time.Millisecond
	maxCallbackSends      = 20
	// rebindLimit bounds how long a restarted relay waits for its port to be free again.
	rebindLimit = 10 * time.Second
)

// stack is the simulator and the relay of the whole soak. They live as long as the run, so the
// simulator's request and delivery logs and the relay's database cover every cycle.
type stack struct {
	sim   *simulator.Simulator
	relay *relayrestart.Relay
	// readToken is the relay's bearer for readers: the provider's and reader's.
	readToken string
	// reader reads back what the relay stored, with the read token the provider uses.
	reader *relayclient.Client
}

func startStack(ctx context.Context, dir string) (*stack, error) {
	callbackUser, callbackPassword, readToken := "soak-callbacks", benchstack.RandomSecret(), benchstack.RandomSecret()
	r, err := relayrestart.Start(ctx, relay.Config{
		Listen:           "127.0.0.1:0",
		Store:            "sqlite:" + filepath.Join(dir, "relay.db"),
		CallbackUsername: callbackUser,
		CallbackPassword: callbackPassword,
		ReadToken:        readToken,
	})
	if err != nil {
		return nil, fmt.Errorf("starting the relay: %w", err)
	}
	reader, err := relayclient.New(relayclient.Config{BaseURL: r.URL(), Token: readToken})
	if err != nil {
		return nil, errors.Join(err, r.Stop())
	}
	sim, err := simulator.Start(simulator.Options{
		CallbackRetryInterval: callbackRetryInterval,
		MaxCallbackThreshold:  maxCallbackSends,
		Listeners:             benchstack.RelayListener(r.URL(), callbackUser, callbackPassword),
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("starting the simulator: %w", err), r.Stop())
	}
	return &stack{sim: sim, relay: r, readToken: readToken, reader: reader}, nil
}

// close stops the simulator first, so no callback is sent to a relay that is gone.
func (s *stack) close() error {
	return errors.Join(s.sim.Close(), s.relay.Stop())
}

// env points the provider at this stack, the way a CI pipeline configures it.
func (s *stack) env() []string {
	return benchstack.ProviderEnv(s.sim.URL(), s.relay.URL(), s.readToken)
}

// afterFirstEnable runs do, on its own goroutine, as soon as the simulator has accepted an
// enable request logged at index from or later: the provider is then past its relay check and
// waiting. It never runs do if ctx ends first. The returned function waits for it to finish and
// says whether do ran.
func (s *stack) afterFirstEnable(ctx context.Context, from int, do func()) (wait func() bool) {
	done := make(chan struct{})
	ran := false
	go func() {
		defer close(done)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			log := s.sim.Requests()
			for _, r := range log[min(from, len(log)):] {
				if isAction(r, thingspace.ActionEnable) && r.RequestID != "" {
					do()
					ran = true
					return
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return func() bool {
		<-done
		return ran
	}
}
