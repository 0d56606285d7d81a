package provider_test

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/acctest"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/simulator"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// deviceConfig renders a thingspace_device data source named name with the given arguments.
func deviceConfig(name, arguments string) string {
	return fmt.Sprintf(`
data "thingspace_device" %q {
  %s
}
`, name, arguments)
}

func TestAccDevice_lookedUpByEachIdentifier(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{Fleets: []simulator.Fleet{
		{Count: 2}, {Count: 1, State: thingspace.DeviceStateSuspend}, {Count: 1, State: thingspace.DeviceStatePreActive},
	}})
	byEID, byICCID := env.Sim.Device(simulator.FleetEID(0)), env.Sim.Device(simulator.FleetEID(1))
	byIMEI, byMDN := env.Sim.Device(simulator.FleetEID(2)), env.Sim.Device(simulator.FleetEID(3))
	lookups := []struct {
		name, argument string
		index          int
	}{
		{"by_eid", fmt.Sprintf("eid = %q", byEID.EID), 0},
		{"by_iccid", fmt.Sprintf("iccid = %q", byICCID.ICCID), 1},
		{"by_imei", fmt.Sprintf("imei = %q", byIMEI.IMEI), 2},
		{"by_mdn", fmt.Sprintf("mdn = %q", byMDN.MDN), 3},
	}
	cfg := env.ProviderConfig()
	var checks []statecheck.StateCheck
	for _, l := range lookups {
		cfg += deviceConfig(l.name, l.argument)
		for attribute, check := range listedDevice(env, l.index) {
			checks = append(checks, statecheck.ExpectKnownValue("data.thingspace_device."+l.name, tfjsonpath.New(attribute), check))
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps:                    []resource.TestStep{{Config: cfg, ConfigStateChecks: checks}},
	})
}

func TestAccDevice_exactlyOneIdentifierIsAPlanError(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config:      env.ProviderConfig() + deviceConfig("test", ""),
			PlanOnly:    true,
			ExpectError: errorPattern("Missing Attribute Configuration", `Exactly one of these attributes must be configured: \[eid,iccid,imei,mdn\]`),
		}, {
			Config:      env.ProviderConfig() + deviceConfig("test", fmt.Sprintf("eid = %q\n  mdn = %q", gsmaEID1, "2025550123")),
			PlanOnly:    true,
			ExpectError: errorPattern("Invalid Attribute Combination", `Exactly one of these attributes must be configured: \[eid,iccid,imei,mdn\]`),
		}},
		CheckDestroy: env.CheckCount(simulator.EndpointDeviceList, 0),
	})
}

func TestAccDevice_noMatchNamesTheIdentifier(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config:      env.ProviderConfig() + deviceConfig("test", `iccid = "8914800000084078423"`),
			ExpectError: errorPattern("No device with ICCID 8914800000084078423", `ThingSpace knows no device whose ICCID is "8914800000084078423"`),
		}, {
			Config:      env.ProviderConfig() + deviceConfig("test", `mdn = "2025550123"`),
			ExpectError: errorPattern("No device with MDN 2025550123"),
		}},
	})
}

func TestAccDevice_severalMatchesNameTheIdentifierAndTheDevices(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{Fleets: []simulator.Fleet{{Count: 1}}})
	listed := env.Sim.Device(simulator.FleetEID(0))
	// Enabling another device with the listed device's ICCID gives ThingSpace two devices with it.
	other := device{eid: gsmaEID1, iccid: listed.ICCID}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config: config(env, []device{other}, ""),
		}, {
			Config: config(env, []device{other}, "") + deviceConfig("test", fmt.Sprintf("iccid = %q", listed.ICCID)),
			ExpectError: errorPattern(fmt.Sprintf("2 devices with ICCID %s", listed.ICCID), "EID "+listed.EID, "EID "+other.eid,
				"only it has"),
		}},
	})
}

// One provider instance shares one bearer and one session between its resources and data
// sources. The data sources depend on the resource, so Terraform reads them in the apply, with
// the provider instance that creates the resource; the checks run right after that apply.
func TestAccDevice_sharesTheTokenAndTheLoginWithResources(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{DeviceListPageSize: 2, Fleets: []simulator.Fleet{{Count: 3}}})
	d := device{gsmaEID1, gsmaICCID1}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config: config(env, []device{d}, "") + `
data "thingspace_devices" "all" {
  depends_on = [thingspace_euicc_profile_enablement.test]
}
data "thingspace_device" "enabled" {
  eid = thingspace_euicc_profile_enablement.test.devices[0].eid
}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				stateValue("status", knownvalue.StringExact("Success")),
				// The three fleet devices, then the enabled one, which ThingSpace met last.
				statecheck.ExpectKnownValue("data.thingspace_devices.all", tfjsonpath.New("devices"), knownvalue.ListSizeExact(4)),
				statecheck.ExpectKnownValue("data.thingspace_devices.all", tfjsonpath.New("devices").AtSliceIndex(3).AtMapKey("eid"),
					knownvalue.StringExact(d.eid)),
				statecheck.ExpectKnownValue("data.thingspace_device.enabled", tfjsonpath.New("iccid"), knownvalue.StringExact(d.iccid)),
			},
			Check: resource.ComposeTestCheckFunc(
				env.CheckCount(simulator.EndpointToken, 1),
				env.CheckCount(simulator.EndpointLogin, 1),
				env.CheckAccepted(thingspace.ActionEnable, 1),
				env.CheckCount(simulator.EndpointDeviceList, 3), // two pages for the account, one for the device
			),
		}},
	})
}
