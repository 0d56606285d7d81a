package provider_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/compare"
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

const resourceAddress = "thingspace_euicc_profile_enablement.test"

// Devices used by the tests. gsma* pass the GSMA and Luhn checks; the source document's pair
// (enable-local-profile.txt) fails both and must still plan and apply.
const (
	documentEID   = "666456789123456789123456784008"
	documentICCID = "89148000000840784259"
	gsmaEID1      = "89049032000001000000000000000074"
	gsmaICCID1    = "8914800000084078423"
)

// device is one entry of the devices list in a test configuration.
type device struct{ eid, iccid string }

// eids returns n distinct EIDs for tests that need several devices (digits only, 32 long).
func eids(n int) []device {
	out := make([]device, n)
	for i := range out {
		out[i] = device{eid: fmt.Sprintf("8904903200000100000000000000%04d", i+1), iccid: fmt.Sprintf("891480000008407842%02d", i+1)}
	}
	return out
}

// config renders a resource with the given devices and extra arguments after the provider block.
func config(env *acctest.Env, devices []device, extra string) string {
	var list strings.Builder
	for _, d := range devices {
		fmt.Fprintf(&list, "    { eid = %q, iccid = %q },\n", d.eid, d.iccid)
	}
	return env.ProviderConfig() + fmt.Sprintf(`
resource "thingspace_euicc_profile_enablement" "test" {
  devices = [
%s  ]
%s
}
`, list.String(), extra)
}

// errorPattern matches a diagnostic whose text contains parts in order. Terraform wraps long
// lines, so a space in a part matches any run of white space.
func errorPattern(parts ...string) *regexp.Regexp {
	for i, part := range parts {
		parts[i] = strings.ReplaceAll(part, " ", `\s+`)
	}
	return regexp.MustCompile("(?s)" + strings.Join(parts, ".*"))
}

func stateValue(attr string, check knownvalue.Check) statecheck.StateCheck {
	return statecheck.ExpectKnownValue(resourceAddress, tfjsonpath.New(attr), check)
}

func resultValue(eid, attr string, check knownvalue.Check) statecheck.StateCheck {
	return statecheck.ExpectKnownValue(resourceAddress, tfjsonpath.New("results").AtMapKey(eid).AtMapKey(attr), check)
}

func TestAccEnablement_oneDevice(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	d := device{gsmaEID1, gsmaICCID1}
	state := env.Sim.Device(d.eid)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config: config(env, []device{d}, ""),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(resourceAddress, plancheck.ResourceActionCreate),
				// The reviewer sees the values that will be sent, not "known after apply".
				plancheck.ExpectKnownValue(resourceAddress, tfjsonpath.New("account_name"), knownvalue.StringExact(env.AccountName)),
				plancheck.ExpectKnownValue(resourceAddress, tfjsonpath.New("smsr_oid"), knownvalue.StringExact(acctest.SmsrOid)),
				plancheck.ExpectKnownValue(resourceAddress, tfjsonpath.New("disable_on_destroy"), knownvalue.Bool(false)),
				plancheck.ExpectUnknownValue(resourceAddress, tfjsonpath.New("request_id")),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				stateValue("status", knownvalue.StringExact("Success")),
				stateValue("request_id", knownvalue.StringRegexp(regexp.MustCompile(`^[0-9a-f-]{36}$`))),
				statecheck.CompareValuePairs(resourceAddress, tfjsonpath.New("id"), resourceAddress, tfjsonpath.New("request_id"), compare.ValuesSame()),
				stateValue("completed_at", knownvalue.StringFunc(isRFC3339)),
				stateValue("results", knownvalue.MapSizeExact(1)),
				resultValue(d.eid, "ip_address", knownvalue.StringExact(state.IPAddress)),
				resultValue(d.eid, "imei", knownvalue.StringExact(state.IMEI)),
				resultValue(d.eid, "mdn", knownvalue.StringExact(state.MDN)),
				resultValue(d.eid, "iccid", knownvalue.StringExact(d.iccid)),
				resultValue(d.eid, "profile_status", knownvalue.StringExact("enable")),
				resultValue(d.eid, "status", knownvalue.StringExact("Success")),
				resultValue(d.eid, "credential_password", knownvalue.NotNull()),
			},
			Check: resource.ComposeTestCheckFunc(
				env.CheckAccepted(thingspace.ActionEnable, 1),
				checkSimulatorProfile(env, d.eid, "ENABLE"),
			),
		}},
		CheckDestroy: env.CheckAccepted(thingspace.ActionDisable, 0),
	})
}

func isRFC3339(s string) error {
	_, err := time.Parse(time.RFC3339, s)
	return err
}

// checkSimulatorProfile asserts the profile status the simulated device ended with.
func checkSimulatorProfile(env *acctest.Env, eid, want string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if got := env.Sim.Device(eid).ProfileStatus; got != want {
			return fmt.Errorf("simulated device %s has profile status %q, want %q", eid, got, want)
		}
		return nil
	}
}

// succeedsAfter is a device that reports success after delay.
func succeedsAfter(delay time.Duration) simulator.DeviceBehavior {
	return simulator.DeviceBehavior{Outcome: simulator.OutcomeSuccess, Delay: simulator.Duration(delay)}
}

func TestAccEnablement_severalDevicesWithInterleavedDuplicatedAndWarningFirstCallbacks(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	devices := eids(3)
	slow, quick, middle := devices[0], devices[1], devices[2]
	env.Sim.SetDevice(slow.eid, simulator.DeviceBehavior{Outcome: simulator.OutcomeWarningThenSuccess,
		WarningDelay: simulator.Duration(20 * time.Millisecond), Delay: simulator.Duration(300 * time.Millisecond)})
	env.Sim.SetDevice(quick.eid, simulator.DeviceBehavior{Outcome: simulator.OutcomeSuccess,
		Delay: simulator.Duration(50 * time.Millisecond), Duplicates: 2})
	env.Sim.SetDevice(middle.eid, simulator.DeviceBehavior{Outcome: simulator.OutcomeSuccess,
		Delay: simulator.Duration(150 * time.Millisecond), Duplicates: 1})

	checks := []statecheck.StateCheck{
		stateValue("status", knownvalue.StringExact("Success")),
		stateValue("results", knownvalue.MapSizeExact(3)),
	}
	for _, d := range devices {
		checks = append(checks,
			resultValue(d.eid, "iccid", knownvalue.StringExact(d.iccid)),
			resultValue(d.eid, "ip_address", knownvalue.StringExact(env.Sim.Device(d.eid).IPAddress)),
			resultValue(d.eid, "status", knownvalue.StringExact("Success")))
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config:            config(env, devices, ""),
			ConfigStateChecks: checks,
			Check: resource.ComposeTestCheckFunc(
				env.CheckAccepted(thingspace.ActionEnable, 1),
				checkDelivered(env, slow.eid, thingspace.CallbackStatusWarning, 1),
				checkDelivered(env, quick.eid, thingspace.CallbackStatusSuccess, 3),
				checkDelivered(env, middle.eid, thingspace.CallbackStatusSuccess, 2),
			),
		}},
	})
}

// checkDelivered asserts how many callbacks of a status the simulator delivered for a device,
// proving the scenario under test really happened (a warning first, duplicates).
func checkDelivered(env *acctest.Env, eid, status string, want int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		got := 0
		for _, d := range env.Sim.Deliveries() {
			if d.EID == eid && d.Status == status {
				got++
			}
		}
		if got != want {
			return fmt.Errorf("the simulator delivered %d %s callback(s) for %s, want %d", got, status, eid, want)
		}
		return nil
	}
}

func TestAccEnablement_sourceDocumentExample(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	// Verizon's example: an account other than the provider's default, an EID that fails the
	// GSMA check and an ICCID that fails Luhn (warnings only), and the example callback's data.
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config: config(env, []device{{documentEID, documentICCID}},
				fmt.Sprintf("  account_name = %q", simulator.SourceDocumentAccount)),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectKnownValue(resourceAddress, tfjsonpath.New("account_name"), knownvalue.StringExact(simulator.SourceDocumentAccount)),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				stateValue("status", knownvalue.StringExact("Success")),
				resultValue(documentEID, "imei", knownvalue.StringExact("666456789014008")),
				resultValue(documentEID, "mdn", knownvalue.StringExact("2022326360")),
				resultValue(documentEID, "ip_address", knownvalue.StringExact("101.0.1.216")),
				resultValue(documentEID, "state", knownvalue.StringExact("Active")),
				resultValue(documentEID, "service_plan", knownvalue.StringExact("RP4235311")),
				resultValue(documentEID, "euicc_status", knownvalue.StringExact("EXECUTED_SUCCESS")),
				resultValue(documentEID, "credential_username", knownvalue.StringExact("2022326360@vzw4g.com")),
			},
			Check: env.CheckAccepted(thingspace.ActionEnable, 1),
		}},
	})
}

func TestAccEnablement_deviceFailureTaintsAndTheNextApplyReplaces(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	devices := eids(2)
	good, bad := devices[0], devices[1]
	env.Sim.SetDevice(bad.eid, simulator.DeviceBehavior{Outcome: simulator.OutcomeWarningThenFailure,
		Delay: simulator.Duration(100 * time.Millisecond), FailureCode: thingspace.CodeDeviceStateInvalid,
		FailureMessage: "Device is not active"})
	cfg := config(env, devices, "")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config: cfg,
				ExpectError: errorPattern("Profile enable failed on device "+bad.eid,
					`DeviceService\.INPUT_INVALID\.DeviceState\.Invalid: Device is not active`, `requestId [0-9a-f-]{36}`,
					"saved as tainted", "sends a new enable request"),
			},
			{
				// The failed apply saved what it learned: the requestId, the good device's result.
				RefreshState:       true,
				ExpectNonEmptyPlan: true, // tainted: the next apply replaces it
				Check: resource.ComposeTestCheckFunc(
					resource.TestCheckResourceAttr(resourceAddress, "status", "Failed"),
					resource.TestCheckResourceAttrSet(resourceAddress, "request_id"),
					resource.TestCheckResourceAttr(resourceAddress, "results.%", "2"),
					resource.TestCheckResourceAttr(resourceAddress, "results."+good.eid+".status", "Success"),
					resource.TestCheckResourceAttr(resourceAddress, "results."+bad.eid+".status", "Failed"),
					resource.TestCheckNoResourceAttr(resourceAddress, "results."+bad.eid+".ip_address"),
					env.CheckAccepted(thingspace.ActionEnable, 1),
				),
			},
			{
				// Once the cause is fixed, the tainted resource is replaced: one new enable.
				PreConfig: func() { env.Sim.SetDevice(bad.eid, succeedsAfter(10*time.Millisecond)) },
				Config:    cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(resourceAddress, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{stateValue("status", knownvalue.StringExact("Success"))},
				Check:             env.CheckAccepted(thingspace.ActionEnable, 2),
			},
		},
	})
}

func TestAccEnablement_timeoutKeepsTheRequestAndRefreshAcceptsALateSuccess(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	d := eids(1)[0]
	// The device answers well after the 1s create timeout, even on a loaded machine.
	env.Sim.SetDevice(d.eid, simulator.DeviceBehavior{Outcome: simulator.OutcomeWarningThenSuccess,
		WarningDelay: simulator.Duration(10 * time.Millisecond), Delay: simulator.Duration(4 * time.Second)})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config: config(env, []device{d}, `  timeouts = { create = "1s" }`),
				ExpectError: errorPattern(`Timed out waiting for the enable request [0-9a-f-]{36}`, "EID "+d.eid,
					"last callback status Warning", "saved as tainted", "terraform untaint", `raise timeouts\.create`),
			},
			{
				// The device answers after the timeout; a refresh reads the late callback from
				// the relay and records it without sending anything to ThingSpace.
				PreConfig:          func() { env.AwaitDelivery(t, d.eid, thingspace.CallbackStatusSuccess) },
				RefreshState:       true,
				ExpectNonEmptyPlan: true, // still tainted until `terraform untaint`
				Check: resource.ComposeTestCheckFunc(
					resource.TestCheckResourceAttr(resourceAddress, "status", "Success"),
					resource.TestCheckResourceAttrSet(resourceAddress, "completed_at"),
					resource.TestCheckResourceAttr(resourceAddress, "results."+d.eid+".profile_status", "enable"),
					checkRequestIDIs(env, d.eid),
					checkTainted(resourceAddress),
					env.CheckAccepted(thingspace.ActionEnable, 1),
				),
			},
		},
	})
}

// checkRequestIDIs asserts that the state holds the requestId the simulator issued for eid.
func checkRequestIDIs(env *acctest.Env, eid string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		return resource.TestCheckResourceAttr(resourceAddress, "request_id", env.Sim.Device(eid).LastRequestID)(s)
	}
}

// checkAnswered asserts how many requests to an endpoint the simulator answered with a status.
func checkAnswered(env *acctest.Env, endpoint simulator.Endpoint, status, want int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		got := 0
		for _, r := range env.Sim.Requests() {
			if r.Endpoint == endpoint && r.Status == status {
				got++
			}
		}
		if got != want {
			return fmt.Errorf("the simulator answered %d %s request(s) with %d, want %d", got, endpoint, status, want)
		}
		return nil
	}
}

func TestAccEnablement_planTimeValidation(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	plan := func(cfg string, want ...string) resource.TestStep {
		return resource.TestStep{Config: cfg, PlanOnly: true, ExpectError: errorPattern(want...)}
	}
	gsma := device{gsmaEID1, gsmaICCID1}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			plan(config(env, []device{{"8904903200000100000000000000007A", gsmaICCID1}}, ""), "Invalid EID", "not a decimal digit"),
			plan(config(env, []device{{gsmaEID1 + "1", gsmaICCID1}}, ""), "Invalid EID", "33 digits"),
			plan(config(env, []device{{gsmaEID1, "89148000000840784"}}, ""), "Invalid ICCID", "17 digits"),
			plan(config(env, []device{gsma, {"1234", gsmaICCID1}, gsma}, ""), "Duplicate eid", "listed at index 0 and again at index 2"),
			plan(config(env, nil, ""), "devices", "at least 1"),
			plan(env.ProviderConfig()+`
resource "thingspace_euicc_profile_enablement" "test" {
  devices = [for i in range(201) : { eid = format("%032d", i), iccid = format("89%018d", i) }]
}`, "list must contain at least 1 elements and at most 200"),
			plan(config(env, []device{gsma}, `  timeouts = { create = "soon" }`), "Invalid Attribute Value Time Duration", `"soon"`),
			plan(config(env, []device{gsma}, `  account_name = ""`), "account_name", "at least 1"),
		},
	})
	if got := env.Sim.Count(simulator.EndpointProfileAction); got != 0 {
		t.Errorf("plan-time errors sent %d profile action(s) to ThingSpace, want none", got)
	}
}

func TestAccEnablement_importByRequestID(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	devices := eids(2) // in EID order, the order an import rebuilds
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{Config: config(env, devices, "")},
			{
				ResourceName:      resourceAddress,
				ImportState:       true,
				ImportStateVerify: true,
			},
			{
				ResourceName:  resourceAddress,
				ImportState:   true,
				ImportStateId: "00000000-0000-4000-8000-000000000000",
				ExpectError:   errorPattern("Cannot import request 00000000-0000-4000-8000-000000000000", "holds no callback"),
			},
		},
		CheckDestroy: env.CheckAccepted(thingspace.ActionEnable, 1),
	})
}

func TestAccEnablement_disableOnDestroy(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	devices := eids(2)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{Config: config(env, devices, "")},
			{
				// Turning it on later is an in-place update: nothing is sent.
				Config: config(env, devices, "  disable_on_destroy = true"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(resourceAddress, plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeTestCheckFunc(
					env.CheckAccepted(thingspace.ActionEnable, 1),
					env.CheckAccepted(thingspace.ActionDisable, 0),
				),
			},
		},
		CheckDestroy: resource.ComposeTestCheckFunc(
			env.CheckAccepted(thingspace.ActionDisable, 1),
			checkSimulatorProfile(env, devices[0].eid, "DISABLE"),
			checkSimulatorProfile(env, devices[1].eid, "DISABLE"),
		),
	})
}

func TestAccEnablement_inPlaceChangesDoNotReplace(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	devices := eids(2)
	stable := []plancheck.PlanCheck{
		plancheck.ExpectResourceAction(resourceAddress, plancheck.ResourceActionUpdate),
		// Nothing the reviewer already knows turns into "known after apply".
		plancheck.ExpectKnownValue(resourceAddress, tfjsonpath.New("request_id"), knownvalue.NotNull()),
		plancheck.ExpectKnownValue(resourceAddress, tfjsonpath.New("status"), knownvalue.StringExact("Success")),
		plancheck.ExpectKnownValue(resourceAddress, tfjsonpath.New("completed_at"), knownvalue.NotNull()),
		plancheck.ExpectKnownValue(resourceAddress, tfjsonpath.New("results"), knownvalue.MapSizeExact(2)),
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{Config: config(env, devices, `  timeouts = { create = "10m" }`)},
			{
				Config:            config(env, devices, `  timeouts = { create = "20m", delete = "5m" }`),
				ConfigPlanChecks:  resource.ConfigPlanChecks{PreApply: stable},
				ConfigStateChecks: []statecheck.StateCheck{stateValue("timeouts", knownvalue.ObjectExact(map[string]knownvalue.Check{"create": knownvalue.StringExact("20m"), "delete": knownvalue.StringExact("5m")}))},
			},
			{
				// Reordering the devices enables nothing new, so it is not a replacement either.
				Config:           config(env, []device{devices[1], devices[0]}, `  timeouts = { create = "20m", delete = "5m" }`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: stable},
				Check:            env.CheckAccepted(thingspace.ActionEnable, 1),
			},
			{
				// Changing a device does replace it, and the plan says so.
				Config: config(env, []device{devices[0], {devices[1].eid, "891480000008407842999"}}, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(resourceAddress, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				Check: env.CheckAccepted(thingspace.ActionEnable, 2),
			},
		},
	})
}

// A finished enablement cannot change (each device's first final answer is kept), so refreshing
// it reads nothing: a plan of hundreds of them costs the relay no request.
func TestAccEnablement_refreshOfAFinishedEnablementReadsNothing(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	d := device{gsmaEID1, gsmaICCID1}
	reads := newRelayReads(t, env)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config: config(env, []device{d}, ""),
			Check:  reads.note(),
		}, {
			// The test framework refreshes and plans several times between the two checks.
			Config:            config(env, []device{d}, ""),
			ConfigPlanChecks:  resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			ConfigStateChecks: []statecheck.StateCheck{stateValue("status", knownvalue.StringExact("Success"))},
			Check:             reads.unchanged("a finished enablement"),
		}},
	})
}

func TestAccEnablement_refreshNeverForgetsWhenTheRelayHoldsNothing(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	devices := eids(1)
	// The same ThingSpace behind a new, empty relay: as after a relay's retention purge.
	emptied := *env
	emptied.Relay = acctest.StartRelay(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{Config: config(env, devices, "")},
			{
				Config: config(&emptied, devices, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					stateValue("status", knownvalue.StringExact("Success")),
					stateValue("results", knownvalue.MapSizeExact(1)),
				},
				Check: env.CheckAccepted(thingspace.ActionEnable, 1),
			},
		},
	})
}

func TestAccEnablement_changedProviderDefaultIsAReviewedReplacement(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	d := eids(1)[0]
	moved := *env
	moved.AccountName = simulator.TestAccount
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{Config: config(env, []device{d}, "")},
			{
				// Same unchanged resource block, but the provider's default account changed:
				// the plan shows the new value and the replacement it causes.
				Config: config(&moved, []device{d}, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(resourceAddress, plancheck.ResourceActionDestroyBeforeCreate),
					plancheck.ExpectKnownValue(resourceAddress, tfjsonpath.New("account_name"), knownvalue.StringExact(simulator.TestAccount)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{stateValue("account_name", knownvalue.StringExact(simulator.TestAccount))},
				Check:             env.CheckAccepted(thingspace.ActionEnable, 2),
			},
		},
	})
}
