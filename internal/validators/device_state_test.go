package validators_test

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/validators"
)

func TestDeviceState(t *testing.T) {
	cases := map[string]struct {
		value types.String
		want  want
	}{
		"active":      {types.StringValue("active"), want{}},
		"pre-active":  {types.StringValue("pre-active"), want{}},
		"null":        {types.StringNull(), want{}},
		"unknown":     {types.StringUnknown(), want{}},
		"upper case":  {types.StringValue("Active"), want{errors: 1, contains: `Write it in lower case: "active"`}},
		"not a state": {types.StringValue("sleeping"), want{errors: 1, contains: "active, deactive, suspend, pre-active"}},
		"empty":       {types.StringValue(""), want{errors: 1, contains: "is not a ThingSpace device state"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			checkDiags(t, validateString(validators.DeviceState(), c.value), c.want)
		})
	}
}
