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

// CallbackURLInClear warns about a listener URL that is plain http:// to another machine: every
// callback ThingSpace sends there carries the listener's user name and password and, on
// success, the device's credentials, so they would cross the internet unencrypted. A warning,
// not an error: a relay behind a private link may be meant to work this way. Like CallbackPort,
// it leaves a malformed URL to HTTPURL.
func CallbackURLInClear() validator.String { return callbackURLInClear{} }

type callbackURLInClear struct{}

func (callbackURLInClear) Description(context.Context) string {
	return "an https:// URL, so callbacks and the credentials in them are encrypted on their way"
}

func (v callbackURLInClear) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (callbackURLInClear) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	value := req.ConfigValue.ValueString()
	if thingspace.CheckHTTPURL(value) != nil || !thingspace.CrossesNetworkInClear(value) {
		return
	}
	resp.Diagnostics.AddAttributeWarning(req.Path, "Callbacks would cross the network unencrypted",
		"The URL is plain http:// to another machine, so every callback ThingSpace sends there, with the "+
			"listener's user name and password and the devices' credentials, crosses the internet unencrypted. "+
			"Use an https:// URL (terminate TLS in front of the relay, on a port ThingSpace delivers to).")
}
