package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"time"

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
	// smsrOid is the SM-SR object id of Verizon's enable example.
	smsrOid = "1.3.6.1.4.1.31746.1.500.200.101.5"
)

// stack is a fresh simulator and relay for one measurement, so every count starts at zero.
type stack struct {
	sim   *simulator.Simulator
	relay *relay.Running
	// readToken is the relay's bearer for readers (the provider and the shell script).
	readToken string
	// http reads the relay's /metrics; its own requests are not reads of callbacks.
	http *http.Client
}

// startStack starts a relay on a SQLite file in dir and a simulator that sends every device's
// success callback callbackDelay after the enable request, to that relay.
func startStack(ctx context.Context, dir string) (*stack, error) {
	callbackUser, callbackPassword := "bench-callbacks", randomSecret()
	s := &stack{readToken: randomSecret(), http: &http.Client{Timeout: 10 * time.Second}}
	var err error
	s.relay, err = relay.Start(ctx, relay.Config{
		Listen:           "127.0.0.1:0",
		Store:            "sqlite:" + filepath.Join(dir, "relay.db"),
		CallbackUsername: callbackUser,
		CallbackPassword: callbackPassword,
		ReadToken:        s.readToken,
	})
	if err != nil {
		return nil, fmt.Errorf("starting the relay: %w", err)
	}
	s.sim, err = simulator.Start(simulator.Options{
		MaxConcurrentDeliveries: maxDeliveries,
		DefaultBehavior:         simulator.DeviceBehavior{Outcome: simulator.OutcomeSuccess, Delay: simulator.Duration(callbackDelay)},
		Listeners: []simulator.Listener{{Account: simulator.DefaultAccount, CallbackListener: thingspace.CallbackListener{
			Name: thingspace.ServiceDeviceProfile, URL: s.relay.URL() + "/callbacks",
			Username: callbackUser, Password: callbackPassword,
		}}},
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("starting the simulator: %w", err), s.relay.Close())
	}
	return s, nil
}

// close stops the simulator first, so no callback is sent to a relay that is gone.
func (s *stack) close() error {
	return errors.Join(s.sim.Close(), s.relay.Close())
}

// env is the environment that points both the provider and the shell script at this stack, the
// way a CI pipeline configures them.
func (s *stack) env() []string {
	return []string{
		"THINGSPACE_BASE_URL=" + s.sim.URL(),
		"THINGSPACE_CLIENT_ID=" + simulator.DefaultClientID,
		"THINGSPACE_CLIENT_SECRET=" + simulator.DefaultClientSecret,
		"THINGSPACE_USERNAME=" + simulator.DefaultUsername,
		"THINGSPACE_PASSWORD=" + simulator.DefaultPassword,
		"THINGSPACE_ACCOUNT_NAME=" + simulator.DefaultAccount,
		"THINGSPACE_SMSR_OID=" + smsrOid,
		"THINGSPACE_RELAY_URL=" + s.relay.URL(),
		"THINGSPACE_RELAY_TOKEN=" + s.readToken,
	}
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
	answered, err := relaymetrics.AnsweredRequests(ctx, s.http, s.relay.URL())
	c.RelayReads, c.RelayCallbacks = answered[relay.RouteRequests], answered[relay.RouteCallbacks]
	return c, err
}

// finalReceivedAt asks the relay when it stored the final callback of each request, for the
// shell script, which (unlike the provider) does not log it. Call it after the counts are taken:
// these reads are the benchmark's, not the script's.
func (s *stack) finalReceivedAt(ctx context.Context, requestIDs []string) (map[string]time.Time, error) {
	client, err := relayclient.New(relayclient.Config{BaseURL: s.relay.URL(), Token: s.readToken})
	if err != nil {
		return nil, err
	}
	out := make(map[string]time.Time, len(requestIDs))
	for _, id := range requestIDs {
		page, err := client.Fetch(ctx, id, 0, 0)
		if err != nil {
			return nil, err
		}
		for _, c := range page.Callbacks {
			cb, err := thingspace.ParseCallback(c.Payload)
			if err == nil && cb.Outcome().Final() {
				out[id] = c.ReceivedAt
				break
			}
		}
	}
	return out, nil
}

func randomSecret() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
