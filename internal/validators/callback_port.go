package validators

import (
	"context"
	"net/url"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// CallbackPort accepts a listener URL only on a port ThingSpace delivers callbacks to. ThingSpace
// refuses the registration otherwise, but only at apply time; checked here, the plan already
// says which ports would do. It judges the port only: pair it with HTTPURL, which reports a
// malformed URL once.
func CallbackPort() validator.String { return callbackPort{} }

type callbackPort struct{}

func (callbackPort) Description(context.Context) string {
	return "a port ThingSpace delivers callbacks to: " + thingspace.CallbackPortsText()
}

func (v callbackPort) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (callbackPort) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	value := req.ConfigValue.ValueString()
	if thingspace.CheckHTTPURL(value) != nil {
		return // HTTPURL reports it
	}
	u, err := url.Parse(value)
	if err != nil {
		return
	}
	if err := thingspace.CheckCallbackPort(u); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Callback port not allowed",
			err.Error()+". Serve the listener on one of them, or put a reverse proxy listening on one of them in front of it.")
	}
}
