package validators

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// RequiredAttributes requires the named attributes of a nested object, for nested attributes
// whose objects are often whole unknown values while Terraform validates: `devices =
// [each.value]` under for_each, or `[local.devices[count.index]]` under count. The framework's
// own Required check reads the attributes of such an unknown object as null and rejects a
// configuration that sets them (terraform-plugin-framework v1.19), so those attributes are
// declared optional and checked here instead: an unknown object is skipped, and Terraform
// validates every instance again with known values while planning.
func RequiredAttributes(names ...string) validator.Object {
	return requiredAttributes{names: names}
}

type requiredAttributes struct{ names []string }

func (v requiredAttributes) Description(context.Context) string {
	return "requires " + strings.Join(v.names, " and ")
}

func (v requiredAttributes) MarkdownDescription(context.Context) string {
	return "requires `" + strings.Join(v.names, "` and `") + "`"
}

func (v requiredAttributes) ValidateObject(_ context.Context, req validator.ObjectRequest, resp *validator.ObjectResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	attributes := req.ConfigValue.Attributes()
	for _, name := range v.names {
		if value, ok := attributes[name]; ok && !value.IsNull() {
			continue
		}
		resp.Diagnostics.AddAttributeError(req.Path.AtName(name), "Missing "+name,
			fmt.Sprintf("%s is required in every element (each one needs %s): set it in this one.",
				name, strings.Join(v.names, " and ")))
	}
}
