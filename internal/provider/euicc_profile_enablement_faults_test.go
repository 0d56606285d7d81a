package provider_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/acctest"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/simulator"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// The fault matrix: each test injects one fault we know ThingSpace, the network or the relay
// can produce, and asserts what the apply says, what the state holds, and, through the
// simulator's log, that no action was sent twice.

func TestAccFaults_throttledEnableBurstsWithAndWithoutRetryAfter(t *testing.T) {
	for _, tc := range []struct{ name, retryAfter string }{
		{"with Retry-After", "0"},
		{"with a Retry-After date", "Mon, 02 Jan 2006 15:04:05 GMT"}, // in the past: retry at once
		{"without Retry-After", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := acctest.NewEnv(t, simulator.Options{})
			// A burst of five: with max_retries 5 the sixth attempt is the last one allowed.
			env.Sim.InjectFault(simulator.Fault{Endpoint: simulator.EndpointProfileAction, Status: http.StatusTooManyRequests,
				RetryAfter: tc.retryAfter, Times: 5})
			testEnableRetriedThenAccepted(t, env, http.StatusTooManyRequests, 5)
		})
	}
}

func TestAccFaults_serviceUnavailableOnEnableIsRetried(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	// ThingSpace did not handle a request it answered 503, with or without Retry-After.
	env.Sim.InjectFault(simulator.Fault{Endpoint: simulator.EndpointProfileAction, Status: http.StatusServiceUnavailable, Times: 2})
	env.Sim.InjectFault(simulator.Fault{Endpoint: simulator.EndpointProfileAction, Status: http.StatusServiceUnavailable, RetryAfter: "0"})
	testEnableRetriedThenAccepted(t, env, http.StatusServiceUnavailable, 3)
}

// testEnableRetriedThenAccepted applies one device while the enable endpoint answers refusals
// with status, and asserts that the apply succeeds with the one enable ThingSpace accepted
// after them.
func testEnableRetriedThenAccepted(t *testing.T, env *acctest.Env, status, refusals int) {
	t.Helper()
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config:            config(env, eids(1), ""),
			ConfigStateChecks: []statecheck.StateCheck{stateValue("status", knownvalue.StringExact("Success"))},
			Check: resource.ComposeTestCheckFunc(
				env.CheckAccepted(thingspace.ActionEnable, 1),
				env.CheckCount(simulator.EndpointProfileAction, refusals+1),
				checkAnswered(env, simulator.EndpointProfileAction, status, refusals),
			),
		}},
	})
}

// outcomeUnknownError is what an apply must say when ThingSpace may have acted on an enable
// whose answer was lost: that the outcome is unknown, which devices, what to check before
// applying again, and how to adopt the request instead.
func outcomeUnknownError(d device, cause string) *regexp.Regexp {
	return errorPattern("Outcome of the enable request unknown", cause, "may have acted",
		"may or may not have accepted the enable request", "EID "+d.eid, "nothing was saved to state",
		"Before applying again", "relay logs the requestId", `terraform import thingspace_euicc_profile_enablement\.<name> <requestId>`)
}

func TestAccFaults_serverErrorOnEnableIsNotRetriedAndLeavesTheOutcomeUnknown(t *testing.T) {
	for _, status := range []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusGatewayTimeout} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			env := acctest.NewEnv(t, simulator.Options{})
			env.Sim.InjectFault(simulator.Fault{Endpoint: simulator.EndpointProfileAction, Status: status})
			d := eids(1)[0]
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: acctest.ProviderFactories(),
				Steps: []resource.TestStep{{
					Config:      config(env, []device{d}, ""),
					ExpectError: outcomeUnknownError(d, fmt.Sprintf("HTTP %d", status)),
				}},
				CheckDestroy: resource.ComposeTestCheckFunc(
					checkNotInState(resourceAddress),
					env.CheckCount(simulator.EndpointProfileAction, 1), // never repeated
					env.CheckAccepted(thingspace.ActionEnable, 0),
				),
			})
		})
	}
}

func TestAccFaults_connectionDroppedAfterTheEnableWasSent(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	// ThingSpace accepts the enable, then the connection drops before the answer: the devices
	// will be enabled, but the provider never learns the requestId.
	env.Sim.InjectFault(simulator.Fault{Endpoint: simulator.EndpointProfileAction, Mode: simulator.FaultDropAfterHandling})
	d := eids(1)[0]
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config:      config(env, []device{d}, ""),
			ExpectError: outcomeUnknownError(d, "EOF"),
		}},
		CheckDestroy: resource.ComposeTestCheckFunc(
			checkNotInState(resourceAddress),
			env.CheckCount(simulator.EndpointProfileAction, 1), // not resent
			env.CheckAccepted(thingspace.ActionEnable, 1),      // it was accepted all the same
		),
	})
}

// checkNotInState asserts that a failed create left nothing in state.
func checkNotInState(address string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		if _, ok := s.RootModule().Resources[address]; ok {
			return fmt.Errorf("%s is in state, want nothing saved", address)
		}
		return nil
	}
}

// checkTainted asserts that a resource is saved as tainted: the next apply replaces it.
func checkTainted(address string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		r, ok := s.RootModule().Resources[address]
		if !ok || r.Primary == nil || !r.Primary.Tainted {
			return fmt.Errorf("%s is not in state as tainted", address)
		}
		return nil
	}
}

func TestAccFaults_serverErrorOnLoginIsNotRetried(t *testing.T) {
	for _, status := range []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			env := acctest.NewEnv(t, simulator.Options{})
			env.Sim.InjectFault(simulator.Fault{Endpoint: simulator.EndpointLogin, Status: status, Times: 10})
			failed := expectError(t, env, errorPattern("Cannot send the enable request to ThingSpace",
				fmt.Sprintf("login: ThingSpace answered HTTP %d", status), "was not retried",
				"failed logins in a row lock the account", "says nothing against the credentials", "run Terraform again later"))
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: acctest.ProviderFactories(),
				ErrorCheck:               failed,
				Steps:                    []resource.TestStep{{Config: config(env, eids(1), "")}},
				CheckDestroy: resource.ComposeTestCheckFunc(
					checkNotInState(resourceAddress),
					env.CheckCount(simulator.EndpointLogin, 1),
					env.CheckAccepted(thingspace.ActionEnable, 0),
				),
			})
		})
	}
}

// expectError is a TestCase.ErrorCheck for a failure whose text must match want and must not
// hold any secret of env (which ExpectError's regexp cannot express). The test fails if no
// step failed at all.
func expectError(t *testing.T, env *acctest.Env, want *regexp.Regexp) func(error) error {
	t.Helper()
	bearer := env.Bearer(t)
	secrets := map[string]string{"bearer": bearer, "relay_token": env.Relay.ReadToken}
	for _, name := range []string{"client_secret", "password"} {
		secrets[name] = env.Settings()[name]
	}
	seen := false
	t.Cleanup(func() {
		if !seen {
			t.Error("no step failed; want a failure matching " + want.String())
		}
	})
	return func(err error) error {
		seen = true
		if !want.MatchString(err.Error()) {
			return fmt.Errorf("the error does not match %s: %w", want, err)
		}
		for name, secret := range secrets {
			if strings.Contains(err.Error(), secret) {
				return errors.New("the error reveals the " + name)
			}
		}
		return nil
	}
}

func TestAccFaults_bearerRevokedMidApplyCostsOneNewToken(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	cfg := afterTheFirst(t, env, 5, env.Sim.RevokeBearers)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config:            cfg,
			ConfigStateChecks: allSucceeded("thingspace_euicc_profile_enablement.first", counted(5)...),
			Check: resource.ComposeTestCheckFunc(
				env.CheckAccepted(thingspace.ActionEnable, 6),
				env.CheckCount(simulator.EndpointToken, 2), // the first bearer and exactly one new one
				env.CheckCount(simulator.EndpointRevoke, 1),
				checkAnsweredAtLeast(env, simulator.EndpointProfileAction, http.StatusUnauthorized, 1),
			),
		}},
	})
}

func TestAccFaults_sessionExpiredWithTwentyResourcesInFlightCostsOneLogin(t *testing.T) {
	acctest.SkipUnlessAcceptance(t)
	t.Parallel()
	// The session expires while the first resource waits for its device. The twenty resources
	// that depend on it then send their enables at once, all with the expired session: one new
	// login must serve them all. terraform-plugin-testing cannot raise Terraform's parallelism
	// above 10, so this drives the CLI with -parallelism=21.
	env := acctest.NewEnv(t, simulator.Options{DefaultBehavior: succeedsAfter(200 * time.Millisecond)})
	cli := acctest.NewCLI(t)
	cli.WriteConfig(t, afterTheFirst(t, env, 20, env.Sim.ExpireSessions))
	if out, err := cli.Run(context.Background(), nil, "apply", "-auto-approve", "-no-color", "-parallelism=21"); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	succeeded := 0
	for _, r := range cli.State(t).Resources {
		for _, instance := range r.Instances {
			if instance.Attributes["status"] == "Success" {
				succeeded++
			}
		}
	}
	if succeeded != 21 {
		t.Errorf("%d resources succeeded, want 21", succeeded)
	}
	refused := answered(env, simulator.EndpointProfileAction, http.StatusBadRequest)
	t.Logf("%d enables met the expired session", refused)
	if refused == 0 {
		t.Error("no enable met the expired session: the fault was not injected mid-apply")
	}
	for _, check := range []resource.TestCheckFunc{
		env.CheckAccepted(thingspace.ActionEnable, 21),
		env.CheckCount(simulator.EndpointLogin, 2), // the first session and exactly one new one
		env.CheckCount(simulator.EndpointToken, 1),
	} {
		if err := check(nil); err != nil {
			t.Error(err)
		}
	}
}

// afterTheFirst sets up the credential faults: a first resource whose device answers after a
// second, the fault injected as soon as its enable is accepted, so while it waits, and n
// resources that depend on it and so send their enables after the fault, all at once. It
// returns the configuration.
func afterTheFirst(t *testing.T, env *acctest.Env, n int, fault func()) string {
	t.Helper()
	devices := eids(n + 1)
	env.Sim.SetDevice(devices[0].eid, succeedsAfter(time.Second))
	env.WhenAccepted(t, thingspace.ActionEnable, 1, func() error {
		fault()
		return nil
	})
	return env.ProviderConfig() + fmt.Sprintf(`
resource "thingspace_euicc_profile_enablement" "first" {
  devices = [{ eid = %q, iccid = %q }]
}
resource "thingspace_euicc_profile_enablement" "test" {
  count      = %d
  devices    = [local.devices[count.index]]
  depends_on = [thingspace_euicc_profile_enablement.first]
}
`, devices[0].eid, devices[0].iccid, n) + devicesLocal(devices[1:])
}

// devicesLocal renders `local.devices`, the list counted resources pick their device from.
func devicesLocal(devices []device) string {
	var b strings.Builder
	b.WriteString("locals {\n  devices = [\n")
	for _, d := range devices {
		fmt.Fprintf(&b, "    { eid = %q, iccid = %q },\n", d.eid, d.iccid)
	}
	b.WriteString("  ]\n}\n")
	return b.String()
}

// counted returns the addresses of n counted instances of the test resource.
func counted(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s[%d]", resourceAddress, i)
	}
	return out
}

func allSucceeded(first string, more ...string) []statecheck.StateCheck {
	checks := make([]statecheck.StateCheck, 0, 1+len(more))
	for _, address := range append([]string{first}, more...) {
		checks = append(checks, statecheck.ExpectKnownValue(address, tfjsonpath.New("status"), knownvalue.StringExact("Success")))
	}
	return checks
}

// answered counts the requests to an endpoint the simulator answered with a status.
func answered(env *acctest.Env, endpoint simulator.Endpoint, status int) int {
	n := 0
	for _, r := range env.Sim.Requests() {
		if r.Endpoint == endpoint && r.Status == status {
			n++
		}
	}
	return n
}

// checkAnsweredAtLeast is checkAnswered for counts that depend on timing, where what matters is
// that the fault really happened.
func checkAnsweredAtLeast(env *acctest.Env, endpoint simulator.Endpoint, status, least int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if got := answered(env, endpoint, status); got < least {
			return fmt.Errorf("the simulator answered %d %s request(s) with %d, want at least %d", got, endpoint, status, least)
		}
		return nil
	}
}

// A relay that is down for longer than any fixed number of retries (a rolling deploy, a
// database failover) is waited out for as long as the create timeout allows: the outage here
// lasts until the provider has failed to read the relay relayOutageReads times, three times what
// used to make it give up, with test-sized backoff so that takes about a second.
func TestAccFaults_relayOutageLongerThanAnyRetryCountDuringAWait(t *testing.T) {
	const relayOutageReads = 30
	// While the relay is down, ThingSpace's sends fail and it tries again every 100ms, up to
	// 1000 times: the callback is taken as soon as the relay is back.
	env := acctest.NewEnv(t, simulator.Options{CallbackRetryInterval: 100 * time.Millisecond, MaxCallbackThreshold: 1000})
	d := eids(1)[0]
	env.Sim.SetDevice(d.eid, simulator.DeviceBehavior{Outcome: simulator.OutcomeWarningThenSuccess,
		WarningDelay: simulator.Duration(10 * time.Millisecond), Delay: simulator.Duration(300 * time.Millisecond)})
	failedReads := &failureCounter{base: http.DefaultTransport, host: strings.TrimPrefix(env.Relay.URL(), "http://")}
	env.WhenAccepted(t, thingspace.ActionEnable, 1, func() error {
		// The warning is stored before the outage, the final answer falls due during it.
		if err := acctest.Await(func() bool { return env.Delivered(d.eid, thingspace.CallbackStatusWarning) > 0 }); err != nil {
			return fmt.Errorf("waiting for the warning: %w", err)
		}
		if err := env.Relay.Stop(); err != nil {
			return err
		}
		start := failedReads.n.Load()
		if err := acctest.Await(func() bool { return failedReads.n.Load()-start >= relayOutageReads }); err != nil {
			return fmt.Errorf("waiting for %d failed relay reads: %w", relayOutageReads, err)
		}
		return env.Relay.Start()
	})
	options := acctest.TestOptions()
	options.HTTPClient = &http.Client{Transport: failedReads}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactoriesWith(options),
		Steps: []resource.TestStep{{
			Config: config(env, []device{d}, ""),
			ConfigStateChecks: []statecheck.StateCheck{
				stateValue("status", knownvalue.StringExact("Success")),
				resultValue(d.eid, "ip_address", knownvalue.StringExact(env.Sim.Device(d.eid).IPAddress)),
			},
			Check: resource.ComposeTestCheckFunc(
				env.CheckAccepted(thingspace.ActionEnable, 1),
				checkRefusedDeliveries(env, d.eid, thingspace.CallbackStatusSuccess),
				// The warning stored before the outage is still there, before the success.
				checkStored(env, d.eid, thingspace.CallbackStatusWarning, thingspace.CallbackStatusSuccess),
			),
		}},
	})
}

// failureCounter counts the provider's requests to one host that got no answer.
type failureCounter struct {
	base http.RoundTripper
	host string
	n    atomic.Int32
}

func (f *failureCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := f.base.RoundTrip(r)
	if err != nil && r.URL.Host == f.host {
		f.n.Add(1)
	}
	return resp, err
}

// checkRefusedDeliveries asserts that ThingSpace could not deliver a callback at first (the
// relay was down) and did later: the outage really hit the callback.
func checkRefusedDeliveries(env *acctest.Env, eid, status string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		refused := 0
		for _, d := range env.Sim.Deliveries() {
			if d.EID == eid && d.Status == status && d.ListenerStatus != http.StatusOK {
				refused++
			}
		}
		if refused == 0 || env.Delivered(eid, status) == 0 {
			return fmt.Errorf("%s callback for %s: %d refused and %d delivered sends, want some of each",
				status, eid, refused, env.Delivered(eid, status))
		}
		return nil
	}
}

// checkStored asserts the statuses of the callbacks the relay holds about one device, in the
// order it stored them: one entry per distinct callback, duplicates included in none. Only the
// device's own callbacks count, since the order across devices depends on the machine's load.
func checkStored(env *acctest.Env, eid string, statuses ...string) resource.TestCheckFunc {
	return checkStoredUnder(env, eid, eid, statuses...)
}

// checkStoredUnder is checkStored for callbacks about eid stored under the request that was
// sent for the device requestedEID.
func checkStoredUnder(env *acctest.Env, requestedEID, eid string, statuses ...string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		requestID := env.Sim.Device(requestedEID).LastRequestID
		var got []string
		stored, err := env.Relay.Stored(requestID)
		if err != nil {
			return err
		}
		for _, c := range stored {
			cb, err := thingspace.ParseCallback(c.Payload)
			if err != nil {
				return fmt.Errorf("stored callback %d of %s: %w", c.Seq, requestID, err)
			}
			if cb.Result().EID == eid {
				got = append(got, cb.Status)
			}
		}
		if strings.Join(got, ",") != strings.Join(statuses, ",") {
			return fmt.Errorf("the relay holds callbacks %v about %s for request %s, want %v", got, eid, requestID, statuses)
		}
		return nil
	}
}

func TestAccFaults_relayRestartBetweenApplyAndPlan(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	devices := eids(2)
	cfg := config(env, devices, "")
	stable := []statecheck.StateCheck{
		stateValue("status", knownvalue.StringExact("Success")),
		stateValue("results", knownvalue.MapSizeExact(2)),
		resultValue(devices[1].eid, "ip_address", knownvalue.StringExact(env.Sim.Device(devices[1].eid).IPAddress)),
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{Config: cfg, ConfigStateChecks: stable},
			{
				PreConfig: func() {
					if err := env.Relay.Stop(); err != nil {
						t.Fatal(err)
					}
					if err := env.Relay.Start(); err != nil {
						t.Fatal(err)
					}
				},
				Config:            cfg,
				ConfigPlanChecks:  resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				ConfigStateChecks: stable,
				Check: resource.ComposeTestCheckFunc(
					env.CheckAccepted(thingspace.ActionEnable, 1),
					checkStored(env, devices[0].eid, thingspace.CallbackStatusSuccess),
					checkStored(env, devices[1].eid, thingspace.CallbackStatusSuccess),
				),
			},
		},
	})
}

// Four extra copies of every callback, in ThingSpace's two spellings: one device answers in the
// eUICC pages' PascalCase throughout, the other changes spelling with every copy. Each distinct
// callback is stored once and read into the same results.
func TestAccFaults_callbacksRedeliveredFourTimesInEitherSpellingAreStoredOnce(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	devices := eids(2)
	plain, warned := devices[0], devices[1]
	env.Sim.SetDevice(plain.eid, simulator.DeviceBehavior{Outcome: simulator.OutcomeSuccess,
		Delay: simulator.Duration(50 * time.Millisecond), Duplicates: 4, Spelling: simulator.SpellingPascal})
	env.Sim.SetDevice(warned.eid, simulator.DeviceBehavior{Outcome: simulator.OutcomeWarningThenSuccess,
		WarningDelay: simulator.Duration(20 * time.Millisecond), Delay: simulator.Duration(200 * time.Millisecond), Duplicates: 4,
		Spelling: simulator.SpellingAlternate})
	cfg := config(env, devices, "")
	results := []statecheck.StateCheck{
		stateValue("status", knownvalue.StringExact("Success")),
		stateValue("results", knownvalue.MapSizeExact(2)),
	}
	for _, d := range devices {
		results = append(results,
			resultValue(d.eid, "status", knownvalue.StringExact("Success")),
			resultValue(d.eid, "mdn", knownvalue.StringExact(env.Sim.Device(d.eid).MDN)))
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{Config: cfg, ConfigStateChecks: results},
			{
				// Once every copy has arrived: one stored callback per distinct content, and a
				// refresh that reads them all changes nothing.
				PreConfig: func() {
					env.AwaitDeliveries(t, plain.eid, thingspace.CallbackStatusSuccess, 5)
					env.AwaitDeliveries(t, warned.eid, thingspace.CallbackStatusWarning, 5)
					env.AwaitDeliveries(t, warned.eid, thingspace.CallbackStatusSuccess, 5)
				},
				Config:            cfg,
				ConfigPlanChecks:  resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				ConfigStateChecks: results,
				Check: resource.ComposeTestCheckFunc(
					env.CheckAccepted(thingspace.ActionEnable, 1),
					checkStored(env, plain.eid, thingspace.CallbackStatusSuccess),
					checkStored(env, warned.eid, thingspace.CallbackStatusWarning, thingspace.CallbackStatusSuccess),
				),
			},
		},
	})
}

func TestAccFaults_callbacksForUnknownRequestIDsAreIgnored(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	d := eids(1)[0]
	stranger := eids(2)[1]
	// Before the apply: failures for the same device under request ids nobody asked about.
	for i := range 3 {
		env.Relay.Post(t, callbackFor(fmt.Sprintf("stray-%d-%s", i, acctest.RandomSecret(t)), d, thingspace.CallbackStatusFailed))
	}
	// During the wait: a failure for a device this request does not name, under its requestId,
	// and another stray request id for the device.
	env.Sim.SetDevice(d.eid, succeedsAfter(1500*time.Millisecond))
	env.WhenAccepted(t, thingspace.ActionEnable, 1, func() error {
		requestID := env.Sim.Device(d.eid).LastRequestID
		return errors.Join(
			env.Relay.TryPost(callbackFor(requestID, stranger, thingspace.CallbackStatusFailed)),
			env.Relay.TryPost(callbackFor("stray-during-"+requestID, d, thingspace.CallbackStatusFailed)))
	})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config: config(env, []device{d}, ""),
			ConfigStateChecks: []statecheck.StateCheck{
				stateValue("status", knownvalue.StringExact("Success")),
				stateValue("results", knownvalue.MapSizeExact(1)),
				resultValue(d.eid, "status", knownvalue.StringExact("Success")),
			},
			Check: resource.ComposeTestCheckFunc(
				env.CheckAccepted(thingspace.ActionEnable, 1),
				// The stranger's failure was stored under the request, and ignored.
				checkStoredUnder(env, d.eid, stranger.eid, thingspace.CallbackStatusFailed),
				checkStored(env, d.eid, thingspace.CallbackStatusSuccess),
			),
		}},
	})
}

// callbackFor is a callback as ThingSpace shapes it, for a request and device of the test's
// choosing: what a misdirected or forged delivery would look like.
func callbackFor(requestID string, d device, status string) map[string]any {
	cb := map[string]any{
		"requestId": requestID,
		"status":    status,
		"deviceIds": []map[string]string{{"id": d.eid, "kind": "eid"}, {"id": d.iccid, "kind": "iccid"}},
	}
	if status == thingspace.CallbackStatusFailed {
		cb["faultResponse"] = map[string]string{"faultcode": "DeviceService." + thingspace.CodeDeviceStateInvalid,
			"faultstring": "Not this request's device."}
	}
	return cb
}

func TestAccFaults_finalCallbackBeforeTheEnableResponse(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	devices := eids(2)
	for _, d := range devices {
		env.Sim.SetDevice(d.eid, simulator.DeviceBehavior{Outcome: simulator.OutcomeWarningThenSuccess, BeforeResponse: true})
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config: config(env, devices, ""),
			ConfigStateChecks: []statecheck.StateCheck{
				stateValue("status", knownvalue.StringExact("Success")),
				stateValue("results", knownvalue.MapSizeExact(2)),
				stateValue("completed_at", knownvalue.StringFunc(isRFC3339)),
			},
			Check: resource.ComposeTestCheckFunc(
				env.CheckAccepted(thingspace.ActionEnable, 1),
				// Each device's callbacks were sent once, while the enable was being answered.
				checkDelivered(env, devices[0].eid, thingspace.CallbackStatusSuccess, 1),
				checkDelivered(env, devices[1].eid, thingspace.CallbackStatusSuccess, 1),
			),
		}},
	})
}
