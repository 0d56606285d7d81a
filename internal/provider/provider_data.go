package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/profileops"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// providerData is what Configure hands to every resource and data source of one provider
// instance.
type providerData struct {
	// operator is nil while the provider configuration has unknown values (plan only).
	operator *profileops.Operator
	// client makes the ThingSpace calls that need no relay (callback listeners, the device
	// list); nil when operator is.
	client *thingspace.Client
	// accountName and smsrOid are the resource defaults, possibly unknown at plan time.
	accountName, smsrOid resolved
	// secrets are the configured secret values (some may be empty), masked in every log line.
	secrets []string
}

// logContext returns ctx with every configured secret masked from tflog output, by field key and
// by value; the ThingSpace client masks the tokens it obtains at run time itself. A provider's
// log context does not outlive one RPC, so each resource method calls this first.
func (d *providerData) logContext(ctx context.Context) context.Context {
	if d == nil {
		return thingspace.MaskSecrets(ctx)
	}
	return thingspace.MaskSecrets(ctx, d.secrets...)
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

// configuredData is what every resource's and data source's Configure does with the provider's
// data: nil while the provider is not configured yet (validation; plan and apply configure it
// again), an error for anything but *providerData (a bug).
func configuredData(given any, diags *diag.Diagnostics) *providerData {
	if given == nil {
		return nil
	}
	data, ok := given.(*providerData)
	if !ok {
		diags.Append(unexpectedProviderData())
	}
	return data
}
