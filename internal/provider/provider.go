// Package provider is the Terraform side of the ThingSpace provider: the provider and resource
// schemas, their models, and the mapping between Terraform values and the calls of
// internal/profileops. It holds no HTTP, JSON envelopes or retry loops.
package provider

import (
	"context"
	"net/http"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/resource"
)

var (
	_ provider.Provider              = (*thingspaceProvider)(nil)
	_ provider.ProviderWithFunctions = (*thingspaceProvider)(nil)
	_ provider.ProviderWithActions   = (*thingspaceProvider)(nil)
)

// TypeName is the provider's type name: every resource type starts with "thingspace_".
const TypeName = "thingspace"

// Options are knobs that are not part of the provider schema (the schema is contract). The
// acceptance tests use them to shorten retry delays; the zero value is production behaviour.
type Options struct {
	// ThingSpaceRetryMinDelay and ThingSpaceRetryMaxDelay bound the ThingSpace client's
	// backoff; 0 keeps the client's defaults.
	ThingSpaceRetryMinDelay, ThingSpaceRetryMaxDelay time.Duration
	// RelayRetryMinDelay and RelayRetryMaxDelay bound the relay client's backoff; 0 keeps the
	// relay client's defaults.
	RelayRetryMinDelay, RelayRetryMaxDelay time.Duration
	// RelayPollWait is how long one long-poll may be held open; 0 keeps the relay client's
	// default.
	RelayPollWait time.Duration
	// HTTPClient, when set, is used for both ThingSpace and the relay.
	HTTPClient *http.Client
}

type thingspaceProvider struct {
	version string
	options Options
}

// New returns the provider factory that main.go serves. version is the release version
// (goreleaser sets it), reported in the User-Agent.
func New(version string) func() provider.Provider {
	return NewWithOptions(version, Options{})
}

// NewWithOptions is New with knobs that are not part of the schema, for tests.
func NewWithOptions(version string, options Options) func() provider.Provider {
	return func() provider.Provider {
		return &thingspaceProvider{version: version, options: options}
	}
}

func (p *thingspaceProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = TypeName
	resp.Version = p.version
}

func (p *thingspaceProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{NewEuiccProfileEnablementResource, NewCallbackListenerResource, NewEuiccProfileDownloadResource,
		NewEuiccProfileFleetEnablementResource}
}

func (p *thingspaceProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{NewDevicesDataSource, NewDeviceDataSource}
}

func (p *thingspaceProvider) Functions(context.Context) []func() function.Function {
	return []func() function.Function{NewEIDValidFunction, NewICCIDValidFunction}
}

// Actions are what Terraform 1.14 and later can invoke; older CLIs and OpenTofu never ask.
func (p *thingspaceProvider) Actions(context.Context) []func() action.Action {
	return []func() action.Action{NewEuiccProfileAction}
}
