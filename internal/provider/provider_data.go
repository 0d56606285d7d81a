package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/profileops"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// providerData is what Configure hands to every resource of one provider instance.
type providerData struct {
	// operator is nil while the provider configuration has unknown values (plan only).
	operator *profileops.Operator
	// client makes the ThingSpace calls that need no relay (callback listeners); nil when
	// operator is.
	client *thingspace.Client
	// accountName and smsrOid are the resource defaults, possibly unknown at plan time.
	accountName, smsrOid resolved
	// staticSecrets are the configured secrets; clientSecrets adds the tokens the ThingSpace
	// client has learned at run time (nil without a client).
	staticSecrets []string
	clientSecrets func() []string
}

// secretLogKeys are log field keys whose values are always masked, whoever logs them.
var secretLogKeys = []string{
	"client_secret", "access_token", "password", "session_token", "relay_token", "token",
	"authorization", "credential_password", "sessionToken", "access-token",
}

// logContext returns ctx with every known secret masked from tflog output, by field key and by
// value (in fields and messages). A provider's log context does not outlive one RPC, so each
// resource method calls this first.
func (d *providerData) logContext(ctx context.Context) context.Context {
	ctx = tflog.MaskFieldValuesWithFieldKeys(ctx, secretLogKeys...)
	if d == nil {
		return ctx
	}
	secrets := append([]string(nil), d.staticSecrets...)
	if d.clientSecrets != nil {
		secrets = append(secrets, d.clientSecrets()...)
	}
	secrets = nonEmpty(secrets)
	ctx = tflog.MaskAllFieldValuesStrings(ctx, secrets...)
	return tflog.MaskMessageStrings(ctx, secrets...)
}

// requireOperator returns the operator, or adds the error that explains why there is none.
func (d *providerData) requireOperator(diags *diag.Diagnostics, action string) (*profileops.Operator, bool) {
	if d == nil || d.operator == nil {
		diags.Append(providerNotReady(action))
		return nil, false
	}
	return d.operator, true
}

// requireClient returns the ThingSpace client, or adds the error that explains why there is none.
func (d *providerData) requireClient(diags *diag.Diagnostics, action string) (*thingspace.Client, bool) {
	if d == nil || d.client == nil {
		diags.Append(providerNotReady(action))
		return nil, false
	}
	return d.client, true
}

func nonEmpty(values []string) []string {
	out := values[:0]
	for _, v := range values {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}
