package validators

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// RequestTimeout accepts what thingspace.ParseRequestTimeout accepts: a Go duration greater
// than zero ("60s", "1m30s"). A zero or negative per-request timeout would make every
// ThingSpace call fail at once, which is better reported at plan time with the accepted format.
func RequestTimeout() validator.String { return requestTimeout{} }

type requestTimeout struct{}

func (requestTimeout) Description(context.Context) string {
	return `a positive duration such as "30s", "2m" or "1m30s"`
}

func (v requestTimeout) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v requestTimeout) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := thingspace.ParseRequestTimeout(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid duration", thingspace.Sentence(err.Error()))
	}
}
