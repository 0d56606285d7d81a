// Package relayrestart runs an in-process thingspace-relay that can be stopped and started again
// on the same address with the same database, as an operator restarting it would, so that tests
// and the soak can take the relay away from the provider mid-run.
package relayrestart

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/relay"
)

// rebindInterval is the pause between attempts to bind the relay's port again.
const rebindInterval = 50 * time.Millisecond

// Relay is a relay that keeps its address and its store across Stop and Start.
type Relay struct {
	cfg relay.Config
	url string

	mu      sync.Mutex
	running *relay.Running // nil while stopped
}

// Start starts a relay with cfg; cfg.Listen may ask for any free port.
func Start(ctx context.Context, cfg relay.Config) (*Relay, error) {
	running, err := relay.Start(ctx, cfg)
	if err != nil {
		return nil, err
	}
	// From now on the relay always comes back where its clients expect it.
	cfg.Listen = running.Addr().String()
	return &Relay{cfg: cfg, url: running.URL(), running: running}, nil
}

// URL is the relay's base URL. It stays the same across Stop and Start.
func (r *Relay) URL() string { return r.url }

// Stop shuts the relay down gracefully (held long-polls are answered) and keeps its database,
// so that Start brings back everything it had stored.
func (r *Relay) Stop() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.running == nil {
		return nil
	}
	err := r.running.Close()
	r.running = nil
	return err
}

// Start brings a stopped relay back on the same address with the same database. The port was
// free a moment ago, but a connection in TIME_WAIT or another process may hold it briefly, so
// binding is retried for up to rebindLimit.
func (r *Relay) Start(ctx context.Context, rebindLimit time.Duration) error {
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
		time.Sleep(rebindInterval)
	}
}
