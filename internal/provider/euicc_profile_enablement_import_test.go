package provider_test

import (
	"fmt"
	"testing"

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

// An import cannot know the account a request was sent for, so it takes the provider's default.
// When the resource names another account, the configuration corrects that guess in place:
// replacing the resource would enable the profiles a second time. Once recorded, a real change
// of account replaces the resource as usual.
func TestAccEnablement_importThenConfiguredAccountIsAcceptedInPlace(t *testing.T) {
	env := acctest.NewEnv(t, simulator.Options{})
	devices := eids(1)
	// The provider's default account differs from the one the resource names.
	otherDefault := *env
	otherDefault.AccountName = simulator.TestAccount
	named := func(e *acctest.Env, account string) string {
		return config(e, devices, fmt.Sprintf("  account_name = %q", account))
	}
	var requestID string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config: named(env, env.AccountName),
				Check: func(s *terraform.State) error {
					requestID = s.RootModule().Resources[resourceAddress].Primary.ID
					return nil
				},
			},
			// Forget it (disable_on_destroy is false: nothing is sent), to import it afresh.
			{Config: env.ProviderConfig()},
			{
				Config:             named(&otherDefault, env.AccountName),
				ResourceName:       resourceAddress,
				ImportState:        true,
				ImportStatePersist: true,
				ImportStateIdFunc:  func(*terraform.State) (string, error) { return requestID, nil },
				ImportStateCheck: func(states []*terraform.InstanceState) error {
					if got := states[0].Attributes["account_name"]; got != simulator.TestAccount {
						return fmt.Errorf("import took account_name %q, want the provider's default %q", got, simulator.TestAccount)
					}
					return nil
				},
			},
			{
				Config: named(&otherDefault, env.AccountName),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(resourceAddress, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(resourceAddress, tfjsonpath.New("account_name"), knownvalue.StringExact(env.AccountName)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					stateValue("account_name", knownvalue.StringExact(env.AccountName)),
					stateValue("request_id", knownvalue.StringFunc(func(got string) error {
						if got != requestID {
							return fmt.Errorf("request_id %q, want the imported %q", got, requestID)
						}
						return nil
					})),
				},
				Check: resource.ComposeTestCheckFunc(
					env.CheckAccepted(thingspace.ActionEnable, 1),
					env.CheckCount(simulator.EndpointProfileAction, 1),
				),
			},
			{
				// The guess is corrected and forgotten: changing the account now is a new
				// enablement, as for any resource.
				Config: named(&otherDefault, simulator.TestAccount),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(resourceAddress, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				Check: env.CheckAccepted(thingspace.ActionEnable, 2),
			},
		},
	})
}
