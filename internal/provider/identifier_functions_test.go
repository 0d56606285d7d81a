package provider_test

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/acctest"
)

// The functions give true only where the resources would not warn: the truth table here runs
// through a real CLI, and a variable validation block refuses a bad identifier at plan time.
func TestAccFunctions_identifierChecks(t *testing.T) {
	cases := map[string]struct {
		call string
		want bool
	}{
		"gsma eid":            {`provider::thingspace::eid_valid("` + gsmaEID1 + `")`, true},
		"document eid":        {`provider::thingspace::eid_valid("` + documentEID + `")`, false}, // 30 digits
		"eid check digit off": {`provider::thingspace::eid_valid("89049032000001000000000000000075")`, false},
		"eid not digits":      {`provider::thingspace::eid_valid("8904903200000100000000000000007A")`, false},
		"empty eid":           {`provider::thingspace::eid_valid("")`, false},
		"luhn iccid":          {`provider::thingspace::iccid_valid("` + gsmaICCID1 + `")`, true},
		"document iccid":      {`provider::thingspace::iccid_valid("` + documentICCID + `")`, false},
		"iccid too short":     {`provider::thingspace::iccid_valid("8914800000084078")`, false},
	}
	config := ""
	var checks []statecheck.StateCheck
	i := 0
	for name, c := range cases {
		output := fmt.Sprintf("case_%d", i)
		i++
		config += fmt.Sprintf("output %q {\n  description = %q\n  value = %s\n}\n", output, name, c.call)
		checks = append(checks, statecheck.ExpectKnownOutputValue(output, knownvalue.Bool(c.want)))
	}
	validated := `
variable "eid" {
  type    = string
  default = "89049032000001000000000000000075"
  validation {
    condition     = provider::thingspace::eid_valid(var.eid)
    error_message = "eid fails the GSMA check."
  }
}
output "eid" { value = var.eid }
`
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_8_0)},
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{Config: config, ConfigStateChecks: checks},
			{Config: validated, PlanOnly: true, ExpectError: errorPattern("Invalid value for variable", "eid fails the GSMA check")},
		},
	})
}
