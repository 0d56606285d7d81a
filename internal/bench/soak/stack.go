package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/relay"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/relayclient"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/simulator"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

const (
	// smsrOid is the SM-SR object id of Verizon's enable example.
	smsrOid = "1.3.6.1.4.1.31746.1.500.200.101.5"
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
	relay *restartableRelay
	// reader reads back what the relay stored, with the read token the provider uses.
	reader *relayclient.Client
}

func startStack(ctx context.Context, dir string) (*stack, error) {
	callbackUser, callbackPassword, readToken := "soak-callbacks", randomSecret(), randomSecret()
	r, err := startRelay(ctx, relay.Config{
		Listen:           "127.0.0.1:0",
		Store:            "sqlite:" + filepath.Join(dir, "relay.db"),
		CallbackUsername: callbackUser,
		CallbackPassword: callbackPassword,
		ReadToken:        readToken,
	})
	if err != nil {
		return nil, fmt.Errorf("starting the relay: %w", err)
	}
	reader, err := relayclient.New(relayclient.Config{BaseURL: r.url, Token: readToken})
	if err != nil {
		return nil, errors.Join(err, r.stop())
	}
	sim, err := simulator.Start(simulator.Options{
		CallbackRetryInterval: callbackRetryInterval,
		MaxCallbackThreshold:  maxCallbackSends,
		Listeners: []simulator.Listener{{Account: simulator.DefaultAccount, CallbackListener: thingspace.CallbackListener{
			Name: thingspace.ServiceDeviceProfile, URL: r.url + "/callbacks",
			Username: callbackUser, Password: callbackPassword,
		}}},
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("starting the simulator: %w", err), r.stop())
	}
	return &stack{sim: sim, relay: r, reader: reader}, nil
}

// close stops the simulator first, so no callback is sent to a relay that is gone.
func (s *stack) close() error {
	return errors.Join(s.sim.Close(), s.relay.stop())
}

// env points the provider at this stack, the way a CI pipeline configures it.
func (s *stack) env() []string {
	return []string{
		"THINGSPACE_BASE_URL=" + s.sim.URL(),
		"THINGSPACE_CLIENT_ID=" + simulator.DefaultClientID,
		"THINGSPACE_CLIENT_SECRET=" + simulator.DefaultClientSecret,
		"THINGSPACE_USERNAME=" + simulator.DefaultUsername,
		"THINGSPACE_PASSWORD=" + simulator.DefaultPassword,
		"THINGSPACE_ACCOUNT_NAME=" + simulator.DefaultAccount,
		"THINGSPACE_SMSR_OID=" + smsrOid,
		"THINGSPACE_RELAY_URL=" + s.relay.url,
		"THINGSPACE_RELAY_TOKEN=" + s.relay.cfg.ReadToken,
	}
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

// restartableRelay is a relay that can be stopped and started again on the same address with
// the same database, as an operator restarting it would.
type restartableRelay struct {
	cfg relay.Config
	url string

	mu      sync.Mutex
	running *relay.Running // nil while stopped
}

func startRelay(ctx context.Context, cfg relay.Config) (*restartableRelay, error) {
	running, err := relay.Start(ctx, cfg)
	if err != nil {
		return nil, err
	}
	// From now on the relay always comes back where the provider and the simulator expect it.
	cfg.Listen = running.Addr().String()
	return &restartableRelay{cfg: cfg, url: running.URL(), running: running}, nil
}

// stop shuts the relay down gracefully (held long-polls are answered) and keeps its database.
func (r *restartableRelay) stop() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.running == nil {
		return nil
	}
	err := r.running.Close()
	r.running = nil
	return err
}

// start brings a stopped relay back. The port was free a moment ago, but a connection in
// TIME_WAIT or another process may hold it briefly, so binding is retried for a while.
func (r *restartableRelay) start(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.running != nil {
		return errors.New("the relay is already running")
	}
	deadline := time.Now().Add(rebindLimit)
	for {
		running, err := relay.Start(ctx, r.cfg)
		if err == nil {
			r.running = running
			return nil
		}
		if !errors.Is(err, syscall.EADDRINUSE) || time.Now().After(deadline) {
			return fmt.Errorf("starting the relay again on %s: %w", r.cfg.Listen, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func randomSecret() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
