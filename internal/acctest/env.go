package acctest

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/provider"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/simulator"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/testsupport"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// Test-sized delays: retries and backoffs that take seconds in production take milliseconds here,
// so the suite stays fast without changing what is retried.
const (
	thingspaceRetryMinDelay = time.Millisecond
	thingspaceRetryMaxDelay = 20 * time.Millisecond
	relayRetryMinDelay      = 5 * time.Millisecond
	relayRetryMaxDelay      = 50 * time.Millisecond
)

// SmsrOid is the SM-SR object id of Verizon's example request; the environment's default.
const SmsrOid = "1.3.6.1.4.1.31746.1.500.200.101.5"

// Env is a simulator and a relay wired together: the relay is registered as the
// DeviceProfileService listener of every simulated account.
type Env struct {
	Sim   *simulator.Simulator
	Relay *Relay
	// AccountName is the account the provider configuration defaults to.
	AccountName string
}

// NewEnv starts a simulator with opts and a relay, and stops both when the test ends. Each test
// gets its own pair, so request logs are per test and tests can run in parallel. Without TF_ACC
// the test is skipped here, before it arranges faults whose checks would then fail for want of
// the Terraform run that the acceptance framework skips.
func NewEnv(t testing.TB, opts simulator.Options) *Env {
	t.Helper()
	SkipUnlessAcceptance(t)
	sim, err := simulator.Start(opts)
	if err != nil {
		t.Fatalf("starting the simulator: %v", err)
	}
	t.Cleanup(func() {
		if err := sim.Close(); err != nil {
			t.Errorf("stopping the simulator: %v", err)
		}
	})
	r := StartRelay(t)
	accounts := opts.Accounts
	if len(accounts) == 0 {
		accounts = simulator.DefaultAccounts()
	}
	for _, account := range accounts {
		sim.RegisterListener(account, thingspace.CallbackListener{
			Name:     thingspace.ServiceDeviceProfile,
			URL:      r.CallbacksURL(),
			Username: r.CallbackUsername,
			Password: r.CallbackPassword,
		})
	}
	return &Env{Sim: sim, Relay: r, AccountName: simulator.DefaultAccount}
}

// ProviderFactories serves the provider in-process with test-sized retry delays.
func ProviderFactories() map[string]func() (tfprotov6.ProviderServer, error) {
	return ProviderFactoriesWith(TestOptions())
}

// TestOptions are the provider options ProviderFactories uses: test-sized retry delays. Tests
// that need production behaviour for one part (e.g. how long a relay outage is survived)
// start from these and reset that part.
func TestOptions() provider.Options {
	return provider.Options{
		ThingSpaceRetryMinDelay: thingspaceRetryMinDelay,
		ThingSpaceRetryMaxDelay: thingspaceRetryMaxDelay,
		RelayRetryMinDelay:      relayRetryMinDelay,
		RelayRetryMaxDelay:      relayRetryMaxDelay,
	}
}

// ProviderFactoriesWith serves the provider in-process with the given options.
func ProviderFactoriesWith(options provider.Options) map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		provider.TypeName: providerserver.NewProtocol6WithError(provider.NewWithOptions("test", options)()),
	}
}

// Settings are the provider settings that reach this environment, by attribute name.
func (e *Env) Settings() map[string]string {
	return map[string]string{
		"base_url":      e.Sim.URL(),
		"client_id":     simulator.DefaultClientID,
		"client_secret": simulator.DefaultClientSecret,
		"username":      simulator.DefaultUsername,
		"password":      simulator.DefaultPassword,
		"account_name":  e.AccountName,
		"smsr_oid":      SmsrOid,
		"relay_url":     e.Relay.URL(),
		"relay_token":   e.Relay.ReadToken,
	}
}

// ProviderConfig is a provider block that points at this environment, with every attribute set.
func (e *Env) ProviderConfig() string { return ProviderBlock(e.Settings()) }

// ProviderBlock renders a provider block that sets exactly the given attributes.
func ProviderBlock(settings map[string]string) string {
	var b strings.Builder
	b.WriteString("provider \"thingspace\" {\n")
	for _, name := range slices.Sorted(maps.Keys(settings)) {
		fmt.Fprintf(&b, "  %s = %q\n", name, settings[name])
	}
	b.WriteString("}\n")
	return b.String()
}

// SetEnvironment configures the provider through its environment variables only: it sets those
// of the given settings and clears every other one, so nothing from the machine leaks in. Like
// t.Setenv, it cannot be used in parallel tests.
func SetEnvironment(t *testing.T, settings map[string]string) {
	t.Helper()
	for attribute, variable := range provider.EnvironmentVariables() {
		t.Setenv(variable, settings[attribute])
	}
}

// CheckAccepted asserts, through the simulator's request log, how many requests of a profile
// action ThingSpace acted on. It is how a test proves an apply sent one enable and no more.
func (e *Env) CheckAccepted(action thingspace.ProfileAction, want int) func(*terraform.State) error {
	return func(*terraform.State) error {
		if got := e.Sim.AcceptedActions(action); got != want {
			return fmt.Errorf("the simulator accepted %d %s request(s), want %d", got, action, want)
		}
		return nil
	}
}

// CheckCount asserts how many requests reached a simulator endpoint, whatever their answer.
func (e *Env) CheckCount(endpoint simulator.Endpoint, want int) func(*terraform.State) error {
	return func(*terraform.State) error {
		if got := e.Sim.Count(endpoint); got != want {
			return fmt.Errorf("the simulator received %d %s request(s), want %d", got, endpoint, want)
		}
		return nil
	}
}

// AwaitDelivery blocks until the simulator has delivered a callback with the given status for
// eid to the relay (and the relay stored it), polling the delivery log until a deadline.
func (e *Env) AwaitDelivery(t testing.TB, eid, status string) {
	t.Helper()
	e.AwaitDeliveries(t, eid, status, 1)
}

// AwaitDeliveries is AwaitDelivery for n acknowledged sends, duplicates included.
func (e *Env) AwaitDeliveries(t testing.TB, eid, status string, n int) {
	t.Helper()
	err := awaitCondition(context.Background(), func() bool { return e.Delivered(eid, status) >= n })
	if err != nil {
		t.Fatalf("the simulator did not deliver %d %s callback(s) for %s within %s (delivered %d)",
			n, status, eid, awaitLimit, e.Delivered(eid, status))
	}
}

// Delivered counts the sends of callbacks with a status for eid that the relay acknowledged.
func (e *Env) Delivered(eid, status string) int {
	n := 0
	for _, d := range e.Sim.Deliveries() {
		if d.EID == eid && d.Status == status && d.ListenerStatus == http.StatusOK {
			n++
		}
	}
	return n
}

// WhenAccepted runs react in the background as soon as the simulator has accepted n requests
// of a profile action: it is how a test injects a fault mid-apply, at a point the apply cannot
// have passed yet. It waits as long as the test runs (a parallel test may be paused for a
// while before its apply starts), and the test fails if the point is never reached.
func (e *Env) WhenAccepted(t testing.TB, action thingspace.ProfileAction, n int, react func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() {
		cancel()
		<-done
	})
	go func() {
		defer close(done)
		if testsupport.Poll(ctx, func() bool { return e.Sim.AcceptedActions(action) >= n }) != nil {
			t.Errorf("the simulator never accepted %d %s request(s), so the fault was not injected", n, action)
			return
		}
		if err := react(); err != nil {
			t.Errorf("reacting to the %s request: %v", action, err)
		}
	}()
}

// Await polls cond until it holds, and fails with an error after a while: for goroutines that
// wait for a point in a scenario and cannot call t.Fatal.
func Await(cond func() bool) error { return testsupport.Await(cond) }

// awaitCondition polls cond until it holds, ctx ends or awaitLimit passes, so a bug fails the
// test instead of hanging it.
func awaitCondition(ctx context.Context, cond func() bool) error {
	ctx, cancel := context.WithTimeout(ctx, awaitLimit)
	defer cancel()
	return testsupport.Poll(ctx, cond)
}

const awaitLimit = testsupport.Patience

// SkipUnlessAcceptance skips a test that needs a Terraform CLI unless TF_ACC is set, as the
// acceptance framework does (make test sets it).
func SkipUnlessAcceptance(t testing.TB) {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("Acceptance tests skipped unless env 'TF_ACC' set")
	}
}
