package provider_test

import (
	"fmt"
	"maps"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/acctest"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/simulator"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// resourceOnly is a resource that takes everything it can from the provider.
func resourceOnly(d device) string {
	return fmt.Sprintf(`
resource "thingspace_euicc_profile_enablement" "test" {
  devices = [{ eid = %q, iccid = %q }]
}
`, d.eid, d.iccid)
}

func without(settings map[string]string, names ...string) map[string]string {
	out := maps.Clone(settings)
	for _, n := range names {
		delete(out, n)
	}
	return out
}

// Tests that set environment variables cannot run in parallel with others (t.Setenv).

func TestAccProvider_configuredFromEnvironmentOnly(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	acctest.SetEnvironment(t, env.Settings())
	d := eids(1)[0]
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config: `provider "thingspace" {}` + resourceOnly(d),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectKnownValue(resourceAddress, tfjsonpath.New("account_name"), knownvalue.StringExact(env.AccountName)),
				plancheck.ExpectKnownValue(resourceAddress, tfjsonpath.New("smsr_oid"), knownvalue.StringExact(acctest.SmsrOid)),
			}},
			ConfigStateChecks: []statecheck.StateCheck{stateValue("status", knownvalue.StringExact("Success"))},
			Check:             env.CheckAccepted(thingspace.ActionEnable, 1),
		}},
	})
}

func TestAccProvider_configurationWinsOverEnvironment(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	misleading := env.Settings()
	misleading["relay_token"] = "not-the-token"
	misleading["account_name"] = "9999999999-99999"
	acctest.SetEnvironment(t, misleading)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config: env.ProviderConfig() + resourceOnly(eids(1)[0]),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectKnownValue(resourceAddress, tfjsonpath.New("account_name"), knownvalue.StringExact(env.AccountName)),
			}},
			ConfigStateChecks: []statecheck.StateCheck{stateValue("status", knownvalue.StringExact("Success"))},
			Check:             env.CheckAccepted(thingspace.ActionEnable, 1),
		}},
	})
}

func TestAccProvider_missingSettingsNameAttributeAndVariable(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	acctest.SetEnvironment(t, nil)
	cfg := acctest.ProviderBlock(map[string]string{"base_url": env.Sim.URL(), "client_id": "id-only"}) +
		resourceOnly(eids(1)[0])
	plan := func(want ...string) resource.TestStep {
		return resource.TestStep{Config: cfg, PlanOnly: true, ExpectError: errorPattern(want...)}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			plan("Missing client_secret", "THINGSPACE_CLIENT_SECRET", "access_token / THINGSPACE_ACCESS_TOKEN"),
			plan("Missing username", "THINGSPACE_USERNAME", "session_token / THINGSPACE_SESSION_TOKEN"),
			plan("Missing password", "THINGSPACE_PASSWORD"),
			plan("Missing relay_url", "THINGSPACE_RELAY_URL"),
			plan("Missing relay_token", "THINGSPACE_RELAY_TOKEN"),
		},
	})
	if got := len(env.Sim.Requests()); got != 0 {
		t.Errorf("an incomplete configuration sent %d request(s) to ThingSpace, want none", got)
	}
}

func TestAccProvider_missingAccountNameIsAPlanError(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	acctest.SetEnvironment(t, nil)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config:      acctest.ProviderBlock(without(env.Settings(), "account_name")) + resourceOnly(eids(1)[0]),
			PlanOnly:    true,
			ExpectError: errorPattern("Missing account_name", "on this resource", "in the provider block", "THINGSPACE_ACCOUNT_NAME"),
		}},
	})
}

func TestAccProvider_tokensObtainedElsewhere(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	bearer, session := env.Tokens(t)
	settings := without(env.Settings(), "client_id", "client_secret", "username", "password")
	settings["access_token"] = bearer
	settings["session_token"] = session
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config:            acctest.ProviderBlock(settings) + resourceOnly(eids(1)[0]),
			ConfigStateChecks: []statecheck.StateCheck{stateValue("status", knownvalue.StringExact("Success"))},
			Check: resource.ComposeTestCheckFunc(
				env.CheckAccepted(thingspace.ActionEnable, 1),
				env.CheckCount(simulator.EndpointToken, 1), // the one env.Tokens made
				env.CheckCount(simulator.EndpointLogin, 1),
			),
		}},
	})
}

func TestAccProvider_unknownValuesDuringPlan(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	// relay_url and account_name come from a resource created in the same run, so they are
	// unknown while planning: the plan must not fail, and the apply must use the real values.
	settings := without(env.Settings(), "relay_url", "account_name")
	cfg := fmt.Sprintf(`
resource "terraform_data" "relay" {
  input = %q
}
provider "thingspace" {
  base_url      = %q
  client_id     = %q
  client_secret = %q
  username      = %q
  password      = %q
  smsr_oid      = %q
  relay_token   = %q
  relay_url     = terraform_data.relay.output
  account_name  = terraform_data.relay.output == "" ? "" : %q
}
`, env.Relay.URL(), settings["base_url"], settings["client_id"], settings["client_secret"], settings["username"],
		settings["password"], settings["smsr_oid"], settings["relay_token"], env.AccountName) + resourceOnly(eids(1)[0])
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config: cfg,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectUnknownValue(resourceAddress, tfjsonpath.New("account_name")),
				plancheck.ExpectKnownValue(resourceAddress, tfjsonpath.New("smsr_oid"), knownvalue.StringExact(acctest.SmsrOid)),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				stateValue("status", knownvalue.StringExact("Success")),
				stateValue("account_name", knownvalue.StringExact(env.AccountName)),
			},
			Check: env.CheckAccepted(thingspace.ActionEnable, 1),
		}},
	})
}

func TestAccProvider_wrongRelayTokenSendsNothing(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	settings := env.Settings()
	settings["relay_token"] = "wrong"
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config:      acctest.ProviderBlock(settings) + resourceOnly(eids(1)[0]),
			ExpectError: errorPattern("Cannot read the relay, so the enable request was not sent", "401", "relay_token"),
		}},
	})
	if got := env.Sim.Count(simulator.EndpointProfileAction); got != 0 {
		t.Errorf("sent %d profile action(s) that could not have been followed, want none", got)
	}
}

func TestAccProvider_refusedLoginIsNotRetried(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	settings := env.Settings()
	settings["password"] = "wrong-password"
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config:      acctest.ProviderBlock(settings) + resourceOnly(eids(1)[0]),
			ExpectError: errorPattern("Cannot send the enable request to ThingSpace", simulator.DefaultUsername, "lock"),
		}},
	})
	if got := env.Sim.Count(simulator.EndpointLogin); got != 1 {
		t.Errorf("the simulator received %d login(s), want exactly 1: a refused login must never be retried", got)
	}
	if got := env.Sim.AcceptedActions(thingspace.ActionEnable); got != 0 {
		t.Errorf("the simulator accepted %d enable(s) without a session", got)
	}
}
