package provider_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/acctest"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/simulator"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

const devicesAddress = "data.thingspace_devices.test"

// devicesConfig renders a thingspace_devices data source with the given arguments.
func devicesConfig(env *acctest.Env, arguments string) string {
	return env.ProviderConfig() + fmt.Sprintf(`
data "thingspace_devices" "test" {
%s
}
`, arguments)
}

// listedDevice is the object thingspace_devices and thingspace_device hold for a device of the
// simulator's fleet, built from what the simulator says about it.
func listedDevice(env *acctest.Env, index int) map[string]knownvalue.Check {
	d := env.Sim.Device(simulator.FleetEID(index))
	var activated knownvalue.Check = knownvalue.StringFunc(isRFC3339)
	if d.State == thingspace.DeviceStatePreActive {
		activated = knownvalue.StringExact("") // ThingSpace does not say
	}
	return map[string]knownvalue.Check{
		"eid":                  knownvalue.StringExact(d.EID),
		"iccid":                knownvalue.StringExact(d.ICCID),
		"imei":                 knownvalue.StringExact(d.IMEI),
		"mdn":                  knownvalue.StringExact(d.MDN),
		"state":                knownvalue.StringExact(d.State),
		"service_plan":         knownvalue.StringExact(d.ServicePlan),
		"ip_address":           knownvalue.StringExact(d.IPAddress),
		"connected":            knownvalue.Bool(d.State == thingspace.DeviceStateActive),
		"last_activation_date": activated,
	}
}

// listedEIDs checks that devices holds exactly the fleet devices at indexes, in that order.
func listedEIDs(address string, indexes ...int) statecheck.StateCheck {
	checks := make([]knownvalue.Check, len(indexes))
	for i, index := range indexes {
		checks[i] = knownvalue.ObjectPartial(map[string]knownvalue.Check{"eid": knownvalue.StringExact(simulator.FleetEID(index))})
	}
	return statecheck.ExpectKnownValue(address, tfjsonpath.New("devices"), knownvalue.ListExact(checks))
}

// checkEveryReadReadEveryPage proves, from the simulator's log, that each read of the device
// list followed it to its end: ThingSpace answers 202 to every page but the last, and 200 to
// the last, so with pages pages per read, 202s are (pages - 1) per 200.
func checkEveryReadReadEveryPage(env *acctest.Env, pages int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		reads, more := answered(env, simulator.EndpointDeviceList, http.StatusOK), answered(env, simulator.EndpointDeviceList, http.StatusAccepted)
		if reads == 0 || more != reads*(pages-1) || env.Sim.Count(simulator.EndpointDeviceList) != reads*pages {
			return fmt.Errorf("%d complete read(s) of the device list took %d pages answered 202 and %d requests in all; "+
				"want %d pages per read", reads, more, env.Sim.Count(simulator.EndpointDeviceList), pages)
		}
		return nil
	}
}

func TestAccDevices_readsEveryPageInThingSpaceOrder(t *testing.T) {
	const devices, pageSize = 7, 3 // 3 pages: 3, 3 and 1 device
	env := acctest.NewEnv(t, simulator.Options{DeviceListPageSize: pageSize, Fleets: []simulator.Fleet{{Count: devices}}})
	all := []int{0, 1, 2, 3, 4, 5, 6}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config: devicesConfig(env, ""),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(devicesAddress, tfjsonpath.New("account_name"), knownvalue.StringExact(env.AccountName)),
				statecheck.ExpectKnownValue(devicesAddress, tfjsonpath.New("state"), knownvalue.Null()),
				listedEIDs(devicesAddress, all...),
				statecheck.ExpectKnownValue(devicesAddress, tfjsonpath.New("devices").AtSliceIndex(0), knownvalue.ObjectExact(listedDevice(env, 0))),
				statecheck.ExpectKnownValue(devicesAddress, tfjsonpath.New("devices").AtSliceIndex(6), knownvalue.ObjectExact(listedDevice(env, 6))),
			},
			Check: checkEveryReadReadEveryPage(env, (devices+pageSize-1)/pageSize),
		}},
	})
}

func TestAccDevices_filterByState(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{Fleets: []simulator.Fleet{
		{Count: 2},
		{Count: 2, State: thingspace.DeviceStateSuspend},
		{Count: 1, State: thingspace.DeviceStatePreActive},
	}})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config: env.ProviderConfig() + `
data "thingspace_devices" "suspended" {
  state = "suspend"
}
data "thingspace_devices" "new" {
  state        = "pre-active"
  account_name = "` + env.AccountName + `"
}
data "thingspace_devices" "deactivated" {
  state = "deactive"
}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				listedEIDs("data.thingspace_devices.suspended", 2, 3),
				statecheck.ExpectKnownValue("data.thingspace_devices.suspended", tfjsonpath.New("devices").AtSliceIndex(1),
					knownvalue.ObjectExact(listedDevice(env, 3))),
				statecheck.ExpectKnownValue("data.thingspace_devices.new", tfjsonpath.New("devices"),
					knownvalue.ListExact([]knownvalue.Check{knownvalue.ObjectExact(listedDevice(env, 4))})),
				statecheck.ExpectKnownValue("data.thingspace_devices.deactivated", tfjsonpath.New("devices"), knownvalue.ListSizeExact(0)),
			},
		}},
	})
}

func TestAccDevices_invalidStateIsAPlanError(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config:      devicesConfig(env, `state = "Active"`),
			PlanOnly:    true,
			ExpectError: errorPattern("Invalid device state", `"Active" is not a ThingSpace device state`, "active, deactive, suspend, pre-active", `lower case: "active"`),
		}, {
			Config:      devicesConfig(env, `state = "sleeping"`),
			PlanOnly:    true,
			ExpectError: errorPattern(`"sleeping" is not a ThingSpace device state`),
		}},
		CheckDestroy: env.CheckCount(simulator.EndpointDeviceList, 0),
	})
}

func TestAccDevices_unknownAccountIsNamed(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config:      devicesConfig(env, `account_name = "0009999999-00001"`),
			ExpectError: errorPattern("Cannot list the devices of account 0009999999-00001", `ThingSpace knows no account "0009999999-00001"`, "leading zeros"),
		}},
	})
}

func TestAccDevices_throttledPageIsRetried(t *testing.T) {
	const devices, pageSize = 5, 2
	env := acctest.NewEnv(t, simulator.Options{DeviceListPageSize: pageSize, Fleets: []simulator.Fleet{{Count: devices}},
		// The first request of the first read is throttled once.
		Faults: []simulator.Fault{{Endpoint: simulator.EndpointDeviceList, Status: http.StatusTooManyRequests, RetryAfter: "0"}},
	})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config:            devicesConfig(env, ""),
			ConfigStateChecks: []statecheck.StateCheck{listedEIDs(devicesAddress, 0, 1, 2, 3, 4)},
			Check: resource.ComposeTestCheckFunc(
				checkAnswered(env, simulator.EndpointDeviceList, http.StatusTooManyRequests, 1),
				func(*terraform.State) error {
					// The throttled request is repeated; every other request is one page of a complete read.
					reads := answered(env, simulator.EndpointDeviceList, http.StatusOK)
					if got, want := env.Sim.Count(simulator.EndpointDeviceList), reads*3+1; got != want {
						return fmt.Errorf("%d device-list requests for %d read(s) of 3 pages and one throttled request, want %d", got, reads, want)
					}
					return nil
				},
			),
		}},
	})
}
