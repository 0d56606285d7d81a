package provider_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
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

const fleetAddress = "thingspace_euicc_profile_fleet_enablement.test"

// fleetConfig renders a fleet of the given devices, with extra arguments.
func fleetConfig(env *acctest.Env, devices []device, extra string) string {
	var m strings.Builder
	for _, d := range devices {
		fmt.Fprintf(&m, "    %q = %q\n", d.eid, d.iccid)
	}
	return env.ProviderConfig() + fmt.Sprintf(`
resource "thingspace_euicc_profile_fleet_enablement" "test" {
  devices = {
%s  }
%s
}
`, m.String(), extra)
}

// postcondition is the lifecycle block the documentation recommends.
const postcondition = `
  lifecycle {
    postcondition {
      condition     = self.status == "Success"
      error_message = "Devices failed: ${join(", ", self.failed_devices)}"
    }
  }`

func fleetValue(attr string, check knownvalue.Check) statecheck.StateCheck {
	return statecheck.ExpectKnownValue(fleetAddress, tfjsonpath.New(attr), check)
}

// fleetResult checks one field of a device's results entry in state.
func fleetResult(eid, field string, check knownvalue.Check) statecheck.StateCheck {
	return statecheck.ExpectKnownValue(fleetAddress, tfjsonpath.New("results").AtMapKey(eid), resultField{field, check})
}

// plannedResult checks one field of a device's results entry in the plan.
func plannedResult(eid, field string, check knownvalue.Check) plancheck.PlanCheck {
	return plancheck.ExpectKnownValue(fleetAddress, tfjsonpath.New("results").AtMapKey(eid), resultField{field, check})
}

// resultField is a knownvalue.Check of one field of a results entry, a JSON object in a string.
type resultField struct {
	name  string
	check knownvalue.Check
}

func (c resultField) CheckValue(v any) error {
	entry, err := decodeResult(v)
	if err != nil {
		return err
	}
	value, ok := entry[c.name]
	if !ok {
		return fmt.Errorf("the results entry has no field %s", c.name)
	}
	return c.check.CheckValue(value)
}

func (c resultField) String() string { return c.name + ": " + c.check.String() }

// decodeResult reads a results entry as stored; an error never quotes it, as it holds a password.
func decodeResult(v any) (map[string]any, error) {
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("a results entry is %T, want a JSON string", v)
	}
	var entry map[string]any
	if err := json.Unmarshal([]byte(s), &entry); err != nil {
		return nil, fmt.Errorf("a results entry is not a JSON object: %w", err)
	}
	return entry, nil
}

// checkResult asserts one field of a device's results entry, in a Check function.
func checkResult(eid, field, want string) resource.TestCheckFunc {
	return resource.TestCheckResourceAttrWith(fleetAddress, "results."+eid, func(v string) error {
		entry, err := decodeResult(v)
		if err != nil {
			return err
		}
		if entry[field] != want {
			return fmt.Errorf("results[%s].%s = %v, want %s", eid, field, entry[field], want)
		}
		return nil
	})
}

// checkSent asserts, from the simulator's request log, how many requests of an action
// ThingSpace acted on since the test began and which EIDs they carried, all together (an EID
// sent twice is listed twice).
func checkSent(env *acctest.Env, action thingspace.ProfileAction, requests int, eids ...string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		var got []string
		n := 0
		for _, r := range env.Sim.Requests() {
			if r.Endpoint == simulator.EndpointProfileAction && r.Action == string(action) && r.RequestID != "" {
				n++
				got = append(got, r.EIDs...)
			}
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(eids))
		if n != requests || !slices.Equal(got, want) {
			return fmt.Errorf("the simulator acted on %d %s request(s) carrying %v, want %d carrying %v", n, action, got, requests, want)
		}
		return nil
	}
}

func eidList(devices ...device) []string {
	out := make([]string, 0, len(devices))
	for _, d := range devices {
		out = append(out, d.eid)
	}
	return out
}

func TestAccFleet_createAddChangeRemove(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	all := eids(4)
	d1, d2, d3, d4 := all[0], all[1], all[2], all[3]
	changed := device{d2.eid, "891480000008407842999"}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config: fleetConfig(env, []device{d1, d2, d3}, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(fleetAddress, plancheck.ResourceActionCreate),
					plancheck.ExpectKnownValue(fleetAddress, tfjsonpath.New("account_name"), knownvalue.StringExact(env.AccountName)),
					plancheck.ExpectKnownValue(fleetAddress, tfjsonpath.New("disable_on_remove"), knownvalue.Bool(false)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					fleetValue("status", knownvalue.StringExact("Success")),
					fleetValue("failed_devices", knownvalue.ListExact(nil)),
					fleetValue("id", knownvalue.StringRegexp(regexp.MustCompile(`^[0-9a-f-]{36}$`))),
					fleetValue("results", knownvalue.MapSizeExact(3)),
					fleetResult(d1.eid, "status", knownvalue.StringExact("Success")),
					fleetResult(d1.eid, "ip_address", knownvalue.StringExact(env.Sim.Device(d1.eid).IPAddress)),
					fleetResult(d1.eid, "request_id", knownvalue.StringRegexp(regexp.MustCompile(`^[0-9a-f-]{36}$`))),
					fleetResult(d3.eid, "credential_password", knownvalue.NotNull()),
				},
				Check: resource.ComposeTestCheckFunc(
					checkSent(env, thingspace.ActionEnable, 1, eidList(d1, d2, d3)...),
					checkSimulatorProfile(env, d2.eid, "ENABLE"),
				),
			},
			{
				// Adding a device sends enable to it alone; the others keep their known results.
				Config: fleetConfig(env, []device{d1, d2, d3, d4}, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(fleetAddress, plancheck.ResourceActionUpdate),
					plancheck.ExpectUnknownValue(fleetAddress, tfjsonpath.New("results").AtMapKey(d4.eid)),
					plannedResult(d1.eid, "status", knownvalue.StringExact("Success")),
					plancheck.ExpectKnownValue(fleetAddress, tfjsonpath.New("id"), knownvalue.NotNull()),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					fleetValue("status", knownvalue.StringExact("Success")),
					fleetResult(d4.eid, "status", knownvalue.StringExact("Success")),
				},
				Check: checkSent(env, thingspace.ActionEnable, 2, eidList(d1, d2, d3, d4)...),
			},
			{
				// A changed ICCID sends enable to that device alone.
				Config: fleetConfig(env, []device{d1, changed, d3, d4}, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(fleetAddress, plancheck.ResourceActionUpdate),
					plancheck.ExpectUnknownValue(fleetAddress, tfjsonpath.New("results").AtMapKey(d2.eid)),
					plannedResult(d4.eid, "status", knownvalue.StringExact("Success")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{fleetResult(d2.eid, "iccid", knownvalue.StringExact(changed.iccid))},
				Check:             checkSent(env, thingspace.ActionEnable, 3, eidList(d1, d2, d3, d4, d2)...),
			},
			{
				// A removed device is forgotten: nothing is sent, and the plan knows the outcome.
				Config: fleetConfig(env, []device{d1, changed, d4}, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(fleetAddress, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(fleetAddress, tfjsonpath.New("results"), knownvalue.MapSizeExact(3)),
					plancheck.ExpectKnownValue(fleetAddress, tfjsonpath.New("status"), knownvalue.StringExact("Success")),
				}},
				Check: resource.ComposeTestCheckFunc(
					checkSent(env, thingspace.ActionEnable, 3, eidList(d1, d2, d3, d4, d2)...),
					checkSent(env, thingspace.ActionDisable, 0),
					checkSimulatorProfile(env, d3.eid, "ENABLE"),
				),
			},
			{
				// With disable_on_remove, a removed device is sent disable, and only it.
				Config: fleetConfig(env, []device{changed, d4}, "  disable_on_remove = true"),
				ConfigStateChecks: []statecheck.StateCheck{
					fleetValue("results", knownvalue.MapSizeExact(2)),
					fleetValue("status", knownvalue.StringExact("Success")),
				},
				Check: resource.ComposeTestCheckFunc(
					checkSent(env, thingspace.ActionEnable, 3, eidList(d1, d2, d3, d4, d2)...),
					checkSent(env, thingspace.ActionDisable, 1, d1.eid),
					checkSimulatorProfile(env, d1.eid, "DISABLE"),
				),
			},
		},
		// disable_on_destroy is false: the destroy sends nothing.
		CheckDestroy: checkSent(env, thingspace.ActionDisable, 1, d1.eid),
	})
}

func TestAccFleet_aFailedDeviceIsAWarningAndTheNextApplySendsOnlyIt(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	devices := eids(3)
	bad := devices[1]
	env.Sim.SetDevice(bad.eid, simulator.DeviceBehavior{Outcome: simulator.OutcomeWarningThenFailure,
		Delay: simulator.Duration(100 * time.Millisecond), FailureCode: thingspace.CodeDeviceStateInvalid,
		FailureMessage: "Device is not active"})
	cfg := fleetConfig(env, devices, postcondition)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				// The provider reports the failure as a warning; the postcondition fails the apply.
				Config:      cfg,
				ExpectError: errorPattern("Resource postcondition failed", "Devices failed: "+bad.eid),
			},
			{
				// The fleet was kept, untainted, with every device's result.
				RefreshState:       true,
				ExpectNonEmptyPlan: true, // the failed device is to be sent again
				Check: resource.ComposeTestCheckFunc(
					checkNotTainted(fleetAddress),
					resource.TestCheckResourceAttr(fleetAddress, "status", "Failed"),
					resource.TestCheckResourceAttr(fleetAddress, "failed_devices.#", "1"),
					resource.TestCheckResourceAttr(fleetAddress, "failed_devices.0", bad.eid),
					checkResult(bad.eid, "status", "Failed"),
					checkResult(devices[0].eid, "status", "Success"),
					checkResult(devices[2].eid, "status", "Success"),
					checkSent(env, thingspace.ActionEnable, 1, eidList(devices...)...),
				),
			},
			{
				// Once the cause is fixed, the next apply updates the fleet in place and sends
				// enable to the failed device only.
				PreConfig: func() { env.Sim.SetDevice(bad.eid, succeedsAfter(10*time.Millisecond)) },
				Config:    cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(fleetAddress, plancheck.ResourceActionUpdate),
					plancheck.ExpectUnknownValue(fleetAddress, tfjsonpath.New("results").AtMapKey(bad.eid)),
					plannedResult(devices[0].eid, "status", knownvalue.StringExact("Success")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					fleetValue("status", knownvalue.StringExact("Success")),
					fleetValue("failed_devices", knownvalue.ListExact(nil)),
				},
				Check: checkSent(env, thingspace.ActionEnable, 2, append(eidList(devices...), bad.eid)...),
			},
		},
	})
}

// checkNotTainted asserts that a resource is in state and not tainted.
func checkNotTainted(address string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		r, ok := s.RootModule().Resources[address]
		if !ok || r.Primary == nil {
			return fmt.Errorf("%s is not in state", address)
		}
		if r.Primary.Tainted {
			return fmt.Errorf("%s is tainted: the next apply would replace it and send every device again", address)
		}
		return nil
	}
}

func TestAccFleet_requestsThingSpaceRefusesAsTooManyAreSplit(t *testing.T) {
	// ThingSpace takes 2 devices a request, fewer than the provider's 200: the request of 5 is
	// refused, then its halves 2 and 3; 3 is refused, then 1 and 2. Refused requests were not
	// acted on, so every device is enabled exactly once.
	env := acctest.NewEnv(t, simulator.Options{MaxDevicesPerRequest: 2})
	devices := eids(5)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config: fleetConfig(env, devices, ""),
			ConfigStateChecks: []statecheck.StateCheck{
				fleetValue("status", knownvalue.StringExact("Success")),
				fleetValue("results", knownvalue.MapSizeExact(5)),
			},
			Check: resource.ComposeTestCheckFunc(
				checkSent(env, thingspace.ActionEnable, 3, eidList(devices...)...),
				checkAnswered(env, simulator.EndpointProfileAction, http.StatusBadRequest, 2),
				checkRequestIDsOfResults(env, devices...),
			),
		}},
	})
}

// checkRequestIDsOfResults asserts that each device's results entry names the request the
// simulator last acted on for it.
func checkRequestIDsOfResults(env *acctest.Env, devices ...device) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		for _, d := range devices {
			if err := checkResult(d.eid, "request_id", env.Sim.Device(d.eid).LastRequestID)(s); err != nil {
				return err
			}
		}
		return nil
	}
}

func TestAccFleet_timeoutKeepsEveryRequestAndRefreshReadsOnlyPendingDevices(t *testing.T) {
	// Two requests (the simulator takes 2 devices at most); one device answers well after the
	// 1s create timeout, even on a loaded machine.
	env := acctest.NewEnv(t, simulator.Options{MaxDevicesPerRequest: 2})
	devices := eids(3)
	slow := devices[2]
	env.Sim.SetDevice(slow.eid, simulator.DeviceBehavior{Outcome: simulator.OutcomeWarningThenSuccess,
		WarningDelay: simulator.Duration(10 * time.Millisecond), Delay: simulator.Duration(4 * time.Second)})
	cfg := fleetConfig(env, devices, `  timeouts = { create = "1s" }`)
	reads := newRelayReads(t, env)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				// A timeout is a warning: the apply succeeds, the fleet is Pending, and every
				// requestId is in state.
				Config: cfg,
				ConfigStateChecks: []statecheck.StateCheck{
					fleetResult(slow.eid, "status", knownvalue.StringExact("Pending")),
					fleetResult(devices[0].eid, "status", knownvalue.StringExact("Success")),
				},
				Check: resource.ComposeTestCheckFunc(
					checkRequestIDsOfResults(env, devices...),
					checkSent(env, thingspace.ActionEnable, 2, eidList(devices...)...),
				),
			},
			{
				// The late answer is read by the refresh, and nothing is sent again.
				PreConfig: func() { env.AwaitDelivery(t, slow.eid, thingspace.CallbackStatusSuccess) },
				Config:    cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					fleetValue("status", knownvalue.StringExact("Success")),
					fleetResult(slow.eid, "status", knownvalue.StringExact("Success")),
					fleetResult(slow.eid, "profile_status", knownvalue.StringExact("enable")),
				},
				Check: resource.ComposeTestCheckFunc(
					checkSent(env, thingspace.ActionEnable, 2, eidList(devices...)...),
					reads.note(),
				),
			},
			{
				// Every device has its final answer: refreshing reads nothing from the relay.
				Config:            cfg,
				ConfigPlanChecks:  resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				ConfigStateChecks: []statecheck.StateCheck{fleetValue("status", knownvalue.StringExact("Success"))},
				Check:             reads.unchanged("a finished fleet"),
			},
		},
	})
}

func TestAccFleet_importByRequestIDs(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{MaxDevicesPerRequest: 2})
	devices := eids(3)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{Config: fleetConfig(env, devices, "")},
			{
				ResourceName:      fleetAddress,
				ImportState:       true,
				ImportStateIdFunc: fleetRequestIDs,
				ImportStateVerify: true,
				// The id is generated at create and an import generates its own, so the imported
				// fleet is matched with the created one by a device's results entry, which names its request.
				ImportStateVerifyIdentifierAttribute: "results." + devices[0].eid,
				ImportStateVerifyIgnore:              []string{"id"},
			},
			{
				ResourceName:  fleetAddress,
				ImportState:   true,
				ImportStateId: " , ",
				ExpectError:   errorPattern("Cannot import the fleet enablement", "names no requestId"),
			},
			{
				ResourceName:  fleetAddress,
				ImportState:   true,
				ImportStateId: "00000000-0000-4000-8000-000000000000",
				ExpectError:   errorPattern("Cannot import request 00000000-0000-4000-8000-000000000000", "holds no callback"),
			},
		},
		CheckDestroy: checkSent(env, thingspace.ActionEnable, 2, eidList(devices...)...),
	})
}

// fleetRequestIDs is the import id of the fleet in state: its requestIds, comma-separated.
func fleetRequestIDs(s *terraform.State) (string, error) {
	r, ok := s.RootModule().Resources[fleetAddress]
	if !ok {
		return "", fmt.Errorf("%s is not in state", fleetAddress)
	}
	ids := map[string]bool{}
	for key, value := range r.Primary.Attributes {
		if !strings.HasPrefix(key, "results.") || key == "results.%" {
			continue
		}
		entry, err := decodeResult(value)
		if err != nil {
			return "", err
		}
		if id, ok := entry["request_id"].(string); ok {
			ids[id] = true
		}
	}
	if len(ids) < 2 {
		return "", fmt.Errorf("the fleet has %d requestId(s), want several to import", len(ids))
	}
	return strings.Join(slices.Sorted(maps.Keys(ids)), ","), nil
}

func TestAccFleet_disableOnDestroy(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	devices := eids(3)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{Config: fleetConfig(env, devices, "")},
			{
				// Turning it on is an in-place update that sends nothing.
				Config: fleetConfig(env, devices, "  disable_on_destroy = true"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(fleetAddress, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(fleetAddress, tfjsonpath.New("results"), knownvalue.MapSizeExact(3)),
				}},
				Check: resource.ComposeTestCheckFunc(
					checkSent(env, thingspace.ActionEnable, 1, eidList(devices...)...),
					checkSent(env, thingspace.ActionDisable, 0),
				),
			},
		},
		CheckDestroy: resource.ComposeTestCheckFunc(
			checkSent(env, thingspace.ActionDisable, 1, eidList(devices...)...),
			checkSimulatorProfile(env, devices[0].eid, "DISABLE"),
			checkSimulatorProfile(env, devices[2].eid, "DISABLE"),
		),
	})
}

func TestAccFleet_changedAccountReplacesTheFleet(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	devices := eids(2)
	moved := *env
	moved.AccountName = simulator.TestAccount
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{Config: fleetConfig(env, devices, "")},
			{
				// The provider's default account changed: the plan shows the new value and the
				// replacement it causes, which sends every device again.
				Config: fleetConfig(&moved, devices, ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(fleetAddress, plancheck.ResourceActionDestroyBeforeCreate),
					plancheck.ExpectKnownValue(fleetAddress, tfjsonpath.New("account_name"), knownvalue.StringExact(simulator.TestAccount)),
					plancheck.ExpectUnknownValue(fleetAddress, tfjsonpath.New("id")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{fleetValue("status", knownvalue.StringExact("Success"))},
				Check:             checkSent(env, thingspace.ActionEnable, 2, eidList(devices[0], devices[1], devices[0], devices[1])...),
			},
		},
	})
}
