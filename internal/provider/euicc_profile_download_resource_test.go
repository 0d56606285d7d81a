package provider_test

import (
	"fmt"
	"regexp"
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

// The download shares its core with the enablement, whose tests prove the waiting, refresh,
// import and plan rules; these prove what the download adds: which action it sends, enable,
// delete_on_destroy and the download's wording.

const downloadAddress = "thingspace_euicc_profile_download.test"

// downloadConfig renders a download with the given devices and extra arguments.
func downloadConfig(env *acctest.Env, devices []device, extra string) string {
	var list strings.Builder
	for _, d := range devices {
		fmt.Fprintf(&list, "    { eid = %q, iccid = %q },\n", d.eid, d.iccid)
	}
	return env.ProviderConfig() + fmt.Sprintf(`
resource "thingspace_euicc_profile_download" "test" {
  devices = [
%s  ]
%s
}
`, list.String(), extra)
}

func downloadValue(attr string, check knownvalue.Check) statecheck.StateCheck {
	return statecheck.ExpectKnownValue(downloadAddress, tfjsonpath.New(attr), check)
}

func downloadResult(eid, attr string, check knownvalue.Check) statecheck.StateCheck {
	return statecheck.ExpectKnownValue(downloadAddress, tfjsonpath.New("results").AtMapKey(eid).AtMapKey(attr), check)
}

// checkAcceptedDownloads asserts how many download requests of each kind ThingSpace acted on.
func checkAcceptedDownloads(env *acctest.Env, disable, enable int) resource.TestCheckFunc {
	return resource.ComposeTestCheckFunc(
		env.CheckAccepted(thingspace.ActionDownloadDisable, disable),
		env.CheckAccepted(thingspace.ActionDownloadEnable, enable),
	)
}

func TestAccDownload_disabledByDefaultAndDestroyOnlyForgets(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	devices := eids(2)
	checks := []statecheck.StateCheck{
		downloadValue("status", knownvalue.StringExact("Success")),
		downloadValue("request_id", knownvalue.StringRegexp(regexp.MustCompile(`^[0-9a-f-]{36}$`))),
		downloadValue("completed_at", knownvalue.StringFunc(isRFC3339)),
		downloadValue("results", knownvalue.MapSizeExact(2)),
	}
	for _, d := range devices {
		checks = append(checks,
			downloadResult(d.eid, "profile_status", knownvalue.StringExact(string(thingspace.ActionDownloadDisable))),
			downloadResult(d.eid, "iccid", knownvalue.StringExact(d.iccid)),
			downloadResult(d.eid, "status", knownvalue.StringExact("Success")))
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config: downloadConfig(env, devices, ""),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(downloadAddress, plancheck.ResourceActionCreate),
				plancheck.ExpectKnownValue(downloadAddress, tfjsonpath.New("enable"), knownvalue.Bool(false)),
				plancheck.ExpectKnownValue(downloadAddress, tfjsonpath.New("delete_on_destroy"), knownvalue.Bool(false)),
				plancheck.ExpectKnownValue(downloadAddress, tfjsonpath.New("account_name"), knownvalue.StringExact(env.AccountName)),
				plancheck.ExpectKnownValue(downloadAddress, tfjsonpath.New("smsr_oid"), knownvalue.StringExact(acctest.SmsrOid)),
				plancheck.ExpectUnknownValue(downloadAddress, tfjsonpath.New("request_id")),
			}},
			ConfigStateChecks: checks,
			Check:             checkAcceptedDownloads(env, 1, 0),
		}},
		CheckDestroy: resource.ComposeTestCheckFunc(
			env.CheckCount(simulator.EndpointProfileAction, 1),
			env.CheckAccepted(thingspace.ActionDelete, 0),
		),
	})
}

func TestAccDownload_enableSendsDownloadEnableAndChangingItReplaces(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	d := device{gsmaEID1, gsmaICCID1}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config: downloadConfig(env, []device{d}, "  enable = true"),
				ConfigStateChecks: []statecheck.StateCheck{
					downloadValue("status", knownvalue.StringExact("Success")),
					downloadValue("enable", knownvalue.Bool(true)),
					downloadResult(d.eid, "profile_status", knownvalue.StringExact(string(thingspace.ActionDownloadEnable))),
					downloadResult(d.eid, "ip_address", knownvalue.StringExact(env.Sim.Device(d.eid).IPAddress)),
				},
				Check: resource.ComposeTestCheckFunc(
					checkAcceptedDownloads(env, 0, 1),
					checkSimulatorProfile(env, d.eid, "DOWNLOAD_ENABLE"),
				),
			},
			{
				// A download cannot be turned into the other kind: it is a new request.
				Config: downloadConfig(env, []device{d}, "  enable = false"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(downloadAddress, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					downloadResult(d.eid, "profile_status", knownvalue.StringExact(string(thingspace.ActionDownloadDisable))),
				},
				Check: resource.ComposeTestCheckFunc(
					checkAcceptedDownloads(env, 1, 1),
					env.CheckAccepted(thingspace.ActionDelete, 0),
				),
			},
		},
	})
}

func TestAccDownload_planTimeValidation(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	plan := func(cfg string, want ...string) resource.TestStep {
		return resource.TestStep{Config: cfg, PlanOnly: true, ExpectError: errorPattern(want...)}
	}
	gsma := device{gsmaEID1, gsmaICCID1}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			plan(downloadConfig(env, []device{{gsmaEID1, "89148000000840784"}}, ""), "Invalid ICCID", "17 digits"),
			plan(downloadConfig(env, []device{gsma, gsma}, ""), "Duplicate eid"),
			plan(downloadConfig(env, nil, ""), "devices", "at least 1"),
			plan(downloadConfig(env, []device{gsma}, `  enable = "sometimes"`), "Incorrect attribute value type", "enable"),
		},
	})
	if got := env.Sim.Count(simulator.EndpointProfileAction); got != 0 {
		t.Errorf("plan-time errors sent %d profile action(s) to ThingSpace, want none", got)
	}
}

func TestAccDownload_deviceFailureNamesTheDeviceAndTheDownload(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	devices := eids(2)
	good, bad := devices[0], devices[1]
	env.Sim.SetDevice(bad.eid, simulator.DeviceBehavior{Outcome: simulator.OutcomeFailure,
		Delay: simulator.Duration(50 * time.Millisecond), FailureMessage: "The SM-DP+ has no profile for this ICCID"})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config: downloadConfig(env, devices, "  enable = true"),
				ExpectError: errorPattern("Profile download_enable failed on device "+bad.eid,
					"The SM-DP[+] has no profile for this ICCID", "EID "+bad.eid, `requestId [0-9a-f-]{36}`,
					"saved as tainted", "sends a new download_enable request"),
			},
			{
				RefreshState:       true,
				ExpectNonEmptyPlan: true, // tainted: the next apply replaces it
				Check: resource.ComposeTestCheckFunc(
					resource.TestCheckResourceAttr(downloadAddress, "status", "Failed"),
					resource.TestCheckResourceAttr(downloadAddress, "results."+good.eid+".status", "Success"),
					resource.TestCheckResourceAttr(downloadAddress, "results."+bad.eid+".status", "Failed"),
					checkTainted(downloadAddress),
					checkAcceptedDownloads(env, 0, 1),
				),
			},
		},
	})
}

func TestAccDownload_timeoutTaintsAndKeepsTheRequest(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	d := eids(1)[0]
	// The device answers well after the 1s create timeout, even on a loaded machine.
	env.Sim.SetDevice(d.eid, simulator.DeviceBehavior{Outcome: simulator.OutcomeSuccess, Delay: simulator.Duration(4 * time.Second)})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config: downloadConfig(env, []device{d}, `  timeouts = { create = "1s" }`),
				ExpectError: errorPattern(`Timed out waiting for the download_disable request [0-9a-f-]{36}`, "EID "+d.eid,
					"no callback yet", "saved as tainted", "terraform untaint thingspace_euicc_profile_download", `raise timeouts\.create`),
			},
			{
				PreConfig:          func() { env.AwaitDelivery(t, d.eid, thingspace.CallbackStatusSuccess) },
				RefreshState:       true,
				ExpectNonEmptyPlan: true, // still tainted until `terraform untaint`
				Check: resource.ComposeTestCheckFunc(
					func(s *terraform.State) error {
						return resource.TestCheckResourceAttr(downloadAddress, "request_id", env.Sim.Device(d.eid).LastRequestID)(s)
					},
					resource.TestCheckResourceAttr(downloadAddress, "status", "Success"),
					checkTainted(downloadAddress),
					checkAcceptedDownloads(env, 1, 0),
				),
			},
		},
	})
}

func TestAccDownload_importByRequestIDKnowsEnable(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	devices := eids(2) // in EID order, the order an import rebuilds
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{Config: downloadConfig(env, devices, "  enable = true")},
			{
				// enable comes from the callbacks' profile status; the rest as for the enablement.
				ResourceName:      downloadAddress,
				ImportState:       true,
				ImportStateVerify: true,
			},
		},
		CheckDestroy: checkAcceptedDownloads(env, 0, 1),
	})
}

// Only a success callback says which download it answers and which ICCID it carried, so
// importing a download on which every device failed must guess enable and the ICCIDs. The
// configuration corrects the guesses in place: a replacement would send the download a second
// time for nothing.
func TestAccDownload_importOfAFailedDownloadTakesEnableFromTheConfiguration(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	d := eids(1)[0]
	env.Sim.SetDevice(d.eid, simulator.DeviceBehavior{Outcome: simulator.OutcomeFailure,
		FailureMessage: "The SM-DP+ has no profile for this ICCID"})
	enabled := downloadConfig(env, []device{d}, "  enable = true")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{Config: enabled, ExpectError: errorPattern("Profile download_enable failed on device " + d.eid)},
			// Forget it (delete_on_destroy is false: nothing is sent), to import it afresh.
			{Config: env.ProviderConfig()},
			{
				Config:             enabled,
				ResourceName:       downloadAddress,
				ImportState:        true,
				ImportStatePersist: true,
				ImportStateIdFunc:  func(*terraform.State) (string, error) { return env.Sim.Device(d.eid).LastRequestID, nil },
				ImportStateCheck: func(states []*terraform.InstanceState) error {
					if got := states[0].Attributes["enable"]; got != "false" {
						return fmt.Errorf("import took enable = %s, want the default false: no callback says", got)
					}
					return nil
				},
			},
			{
				Config: enabled,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(downloadAddress, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					downloadValue("enable", knownvalue.Bool(true)),
					downloadValue("devices", knownvalue.ListExact([]knownvalue.Check{knownvalue.ObjectExact(map[string]knownvalue.Check{
						"eid": knownvalue.StringExact(d.eid), "iccid": knownvalue.StringExact(d.iccid),
					})})),
				},
				Check: checkAcceptedDownloads(env, 0, 1),
			},
			{
				// The guess is corrected and forgotten: changing enable now is a new download.
				PreConfig: func() { env.Sim.SetDevice(d.eid, succeedsAfter(0)) },
				Config:    downloadConfig(env, []device{d}, "  enable = false"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(downloadAddress, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				Check: checkAcceptedDownloads(env, 1, 1),
			},
		},
	})
}

func TestAccDownload_deleteOnDestroySendsOneDeleteAndWaits(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	devices := eids(2)
	for _, d := range devices {
		env.Sim.SetDevice(d.eid, succeedsAfter(300*time.Millisecond))
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config: downloadConfig(env, devices, "  delete_on_destroy = true"),
			Check: resource.ComposeTestCheckFunc(
				checkAcceptedDownloads(env, 1, 0),
				env.CheckAccepted(thingspace.ActionDelete, 0),
			),
		}},
		// The destroy returned only after both devices' delete callbacks, 300ms after the
		// request: the simulator settles a device's profile when it sends the final callback.
		CheckDestroy: resource.ComposeTestCheckFunc(
			env.CheckAccepted(thingspace.ActionDelete, 1),
			checkSimulatorProfile(env, devices[0].eid, "DELETE"),
			checkSimulatorProfile(env, devices[1].eid, "DELETE"),
		),
	})
}
