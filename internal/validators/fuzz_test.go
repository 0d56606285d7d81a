package validators_test

import (
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/validators"
)

// The identifier validators see whatever a configuration holds. Whatever it is, they must
// agree with the thingspace rules they wrap: an error exactly when ThingSpace would refuse the
// value, a warning only for an accepted value that fails its check digit, never both.

func FuzzEIDValidator(f *testing.F) {
	f.Add(documentEID)
	fuzzIdentifier(f, validators.EID(), thingspace.ValidateEID, thingspace.EIDChecksumOK)
}

func FuzzICCIDValidator(f *testing.F) {
	f.Add(documentICCI)
	fuzzIdentifier(f, validators.ICCID(), thingspace.ValidateICCID, thingspace.ICCIDLuhnOK)
}

func fuzzIdentifier(f *testing.F, v validator.String, rule func(string) error, checksumOK func(string) bool) {
	f.Fuzz(func(t *testing.T, value string) {
		diags := validateString(v, types.StringValue(value))
		refused := rule(value) != nil
		wantWarnings := 0
		if !refused && !checksumOK(value) {
			wantWarnings = 1
		}
		if got := diags.ErrorsCount(); got != boolToInt(refused) {
			t.Fatalf("%q: %d errors, want %d (rule says refused=%t): %v", value, got, boolToInt(refused), refused, diags)
		}
		if got := diags.WarningsCount(); got != wantWarnings {
			t.Fatalf("%q: %d warnings, want %d: %v", value, got, wantWarnings, diags)
		}
		for _, d := range diags {
			if !strings.Contains(d.Detail(), "is not a valid") && !strings.Contains(d.Detail(), "does not pass the standard check") {
				t.Fatalf("%q: diagnostic %q says neither what is wrong nor what was checked", value, d.Detail())
			}
		}
	})
}

func boolToInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
