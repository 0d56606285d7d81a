package provider

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// An action whose answer was lost must never be reported as "nothing happened, apply again":
// that advice could enable or disable the devices twice.
func TestActionNotSentTellsAnUnknownOutcomeFromNothingDone(t *testing.T) {
	devices := []thingspace.RequestedDevice{{EID: "111", ICCID: "222"}, {EID: "333"}}
	unknown := fmt.Errorf("enable profile: POST /x: EOF. %w", thingspace.ErrOutcomeUnknown)
	cases := map[string]struct {
		phase     phase
		err       error
		want, not []string
	}{
		"create, outcome unknown": {enablementCreate, unknown,
			[]string{"Outcome of the enable request unknown", "EOF", "may or may not have accepted the enable request",
				"EID 111 (ICCID 222)", "EID 333 (ICCID -)", "nothing was saved to state", "Before applying again",
				"terraform import " + enablement.typeName()},
			[]string{"run `terraform apply` again."}},
		"delete, outcome unknown": {enablementDelete, unknown,
			[]string{"Outcome of the disable request unknown", "may or may not have accepted the disable request",
				"destroy again sends a new disable request", "terraform state rm " + enablement.typeName()},
			[]string{"terraform import"}},
		"create, refused": {enablementCreate, errors.New("enable profile: ThingSpace answered HTTP 400"),
			[]string{"Cannot send the enable request to ThingSpace", "Nothing was saved to state", "run `terraform apply` again"},
			[]string{"may or may not"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d := actionNotSent(tc.phase, devices, tc.err)
			text := d.Summary() + "\n" + d.Detail()
			for _, want := range tc.want {
				if !strings.Contains(text, want) {
					t.Errorf("diagnostic does not say %q:\n%s", want, text)
				}
			}
			for _, not := range tc.not {
				if strings.Contains(text, not) {
					t.Errorf("diagnostic says %q:\n%s", not, text)
				}
			}
		})
	}
}
