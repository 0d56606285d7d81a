package provider_test

import (
	"fmt"
	"os"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/provider"
)

// Live tests run against a real ThingSpace account, so that customers can prove the provider
// with their own account and device before relying on it. They need real credentials, a relay
// ThingSpace can reach and a real device, and are skipped (saying so) unless THINGSPACE_LIVE_EID
// is set.
const (
	liveEIDVariable     = "THINGSPACE_LIVE_EID"
	liveICCIDVariable   = "THINGSPACE_LIVE_ICCID"
	liveTimeoutVariable = "THINGSPACE_LIVE_TIMEOUT"
)

// TestAccLive_enableOnYourAccount enables the profile ICCID on the device EID through real
// ThingSpace, waits on the relay in THINGSPACE_RELAY_URL, and checks that the device reported
// success. The provider is configured by its THINGSPACE_* environment variables alone (a
// missing one fails with the provider's own message naming it). The profile stays enabled
// afterwards (disable_on_destroy is false), so the test sends exactly one action:
//
//	THINGSPACE_LIVE_EID=... THINGSPACE_LIVE_ICCID=... THINGSPACE_CLIENT_ID=... (and the rest) \
//	  make testacc TESTARGS='-run TestAccLive'
func TestAccLive_enableOnYourAccount(t *testing.T) {
	eid, iccid := os.Getenv(liveEIDVariable), os.Getenv(liveICCIDVariable)
	if eid == "" {
		t.Skipf("needs real ThingSpace credentials and a device: set %s and %s, and the provider's THINGSPACE_* variables, to run it against your account",
			liveEIDVariable, liveICCIDVariable)
	}
	if iccid == "" {
		t.Fatalf("%s is set but %s is not: together they name the device and the profile to enable", liveEIDVariable, liveICCIDVariable)
	}
	timeout := os.Getenv(liveTimeoutVariable)
	if timeout == "" {
		timeout = "30m"
	}
	resource.Test(t, resource.TestCase{
		// The provider as released: production retry delays and relay long-polls.
		ProtoV6ProviderFactories: map[string]func() (tfprotov6.ProviderServer, error){
			provider.TypeName: providerserver.NewProtocol6WithError(provider.New("acctest-live")()),
		},
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
provider "thingspace" {}

resource "thingspace_euicc_profile_enablement" "test" {
  devices  = [{ eid = %q, iccid = %q }]
  timeouts = { create = %q }
}
`, eid, iccid, timeout),
			ConfigStateChecks: []statecheck.StateCheck{
				stateValue("status", knownvalue.StringExact("Success")),
				stateValue("request_id", knownvalue.StringRegexp(regexp.MustCompile(`\S`))),
				resultValue(eid, "status", knownvalue.StringExact("Success")),
				resultValue(eid, "profile_status", knownvalue.StringRegexp(regexp.MustCompile(`(?i)^enable$`))),
			},
		}},
	})
}
