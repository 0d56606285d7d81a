package validators_test

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/validators"
)

func TestRequiredAttributes(t *testing.T) {
	device := map[string]attr.Type{"eid": types.StringType, "iccid": types.StringType}
	object := func(eid, iccid types.String) types.Object {
		return types.ObjectValueMust(device, map[string]attr.Value{"eid": eid, "iccid": iccid})
	}
	cases := []struct {
		name  string
		value types.Object
		want  []string // attributes reported missing
	}{
		{"both set", object(types.StringValue(validEID), types.StringValue(validICCID)), nil},
		{"values not known yet", object(types.StringUnknown(), types.StringUnknown()), nil},
		// What Terraform validates for `devices = [each.value]`: the whole element is unknown.
		{"object not known yet", types.ObjectUnknown(device), nil},
		{"object null", types.ObjectNull(device), nil},
		{"no eid", object(types.StringNull(), types.StringValue(validICCID)), []string{"eid"}},
		{"neither", object(types.StringNull(), types.StringNull()), []string{"eid", "iccid"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := &validator.ObjectResponse{}
			at := path.Root("devices").AtListIndex(0)
			validators.RequiredAttributes("eid", "iccid").ValidateObject(context.Background(),
				validator.ObjectRequest{Path: at, ConfigValue: tc.value}, resp)
			if got := resp.Diagnostics.ErrorsCount(); got != len(tc.want) {
				t.Fatalf("errors = %d, want %d: %v", got, len(tc.want), resp.Diagnostics)
			}
			for i, name := range tc.want {
				d, ok := resp.Diagnostics[i].(interface{ Path() path.Path })
				if !ok || !d.Path().Equal(at.AtName(name)) || resp.Diagnostics[i].Summary() != "Missing "+name {
					t.Errorf("diagnostic %d = %v, want \"Missing %s\" at %s", i, resp.Diagnostics[i], name, at.AtName(name))
				}
			}
		})
	}
}
