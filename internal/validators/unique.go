package validators

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// UniqueAttribute rejects a list of objects in which two elements share the same value of the
// named string attribute. ThingSpace answers one callback per device and the provider
// correlates callbacks by EID, so a device listed twice could never be told apart.
func UniqueAttribute(name string) validator.List {
	return uniqueAttribute{name: name}
}

type uniqueAttribute struct{ name string }

func (v uniqueAttribute) Description(context.Context) string {
	return fmt.Sprintf("no two elements may have the same %s", v.name)
}

func (v uniqueAttribute) MarkdownDescription(context.Context) string {
	return fmt.Sprintf("no two elements may have the same `%s`", v.name)
}

func (v uniqueAttribute) ValidateList(_ context.Context, req validator.ListRequest, resp *validator.ListResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	firstIndex := map[string]int{}
	for i, element := range req.ConfigValue.Elements() {
		value, ok := stringAttribute(element, v.name)
		if !ok {
			continue
		}
		if first, seen := firstIndex[value]; seen {
			resp.Diagnostics.AddAttributeError(req.Path.AtListIndex(i), fmt.Sprintf("Duplicate %s", v.name),
				fmt.Sprintf("%s %q is listed at index %d and again at index %d. List each device once: "+
					"ThingSpace answers one callback per device, so a repeated device cannot be told apart.",
					v.name, value, first, i))
			continue
		}
		firstIndex[value] = i
	}
}

// stringAttribute returns the known value of an object's string attribute.
func stringAttribute(element attr.Value, name string) (string, bool) {
	object, ok := element.(types.Object)
	if !ok || object.IsNull() || object.IsUnknown() {
		return "", false
	}
	value, ok := object.Attributes()[name].(types.String)
	if !ok || value.IsNull() || value.IsUnknown() {
		return "", false
	}
	return value.ValueString(), true
}
