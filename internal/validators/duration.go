package validators

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// PositiveDuration accepts a Go duration string greater than zero ("60s", "1m30s"). It exists
// because a zero or negative per-request timeout would make every ThingSpace call fail at once,
// which is better reported at plan time with the accepted format.
func PositiveDuration() validator.String { return positiveDuration{} }

type positiveDuration struct{}

func (positiveDuration) Description(context.Context) string {
	return `a positive duration such as "30s", "2m" or "1m30s"`
}

func (v positiveDuration) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v positiveDuration) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	value := req.ConfigValue.ValueString()
	d, err := time.ParseDuration(value)
	if err == nil && d > 0 {
		return
	}
	resp.Diagnostics.AddAttributeError(req.Path, "Invalid duration",
		fmt.Sprintf("%q is not %s. Use a number followed by a unit: ms, s, m or h.", value, v.Description(ctx)))
}
