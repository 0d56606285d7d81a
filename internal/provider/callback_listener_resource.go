package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/validators"
)

var (
	_ resource.Resource                   = (*callbackListenerResource)(nil)
	_ resource.ResourceWithConfigure      = (*callbackListenerResource)(nil)
	_ resource.ResourceWithValidateConfig = (*callbackListenerResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*callbackListenerResource)(nil)
	_ resource.ResourceWithImportState    = (*callbackListenerResource)(nil)
)

// callbackListenerResource is thingspace_callback_listener: the URL ThingSpace sends one
// callback service's messages to, for one account. ThingSpace keeps one listener per service
// and account, and registering again replaces it, so every change of the URL or credentials is
// one registration.
type callbackListenerResource struct {
	data *providerData
}

// NewCallbackListenerResource is the resource factory the provider registers.
func NewCallbackListenerResource() resource.Resource { return &callbackListenerResource{} }

// callbackListenerModel is the resource's Terraform value.
type callbackListenerModel struct {
	ID                types.String `tfsdk:"id"`
	AccountName       types.String `tfsdk:"account_name"`
	ServiceName       types.String `tfsdk:"service_name"`
	URL               types.String `tfsdk:"url"`
	Username          types.String `tfsdk:"username"`
	Password          types.String `tfsdk:"password"`
	PasswordWO        types.String `tfsdk:"password_wo"`
	PasswordWOVersion types.Int64  `tfsdk:"password_wo_version"`
}

func (r *callbackListenerResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_callback_listener"
}

func (r *callbackListenerResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Registers the URL that receives one ThingSpace callback service's messages for an account: " +
			"for profile actions, the `thingspace-relay` as the account's `DeviceProfileService` listener. ThingSpace " +
			"keeps one listener per service and account; registering again replaces it. ThingSpace copies the " +
			"username and password into every callback it sends, so the relay can tell its callbacks from anyone " +
			"else's.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "`ACCOUNT/SERVICE`, for example `0000123456-00001/DeviceProfileService`; the import id.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"account_name": defaultedString(settingAccountName, importKnows, "Billing account whose callbacks the listener receives, "+
				"leading zeros included (for example `0000123456-00001`)."),
			"service_name": schema.StringAttribute{
				Optional: true,
				Computed: true,
				Default:  stringdefault.StaticString(thingspace.ServiceDeviceProfile),
				MarkdownDescription: fmt.Sprintf("The callback service, default `%s` (the results of profile actions). "+
					"Changing it replaces the resource.", thingspace.ServiceDeviceProfile),
				Validators: []validator.String{
					stringvalidator.LengthAtLeast(1),
					stringvalidator.RegexMatches(noSlash, "must not contain \"/\", which separates the account from the service in the id"),
				},
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"url": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "Where ThingSpace sends the callbacks: an absolute `http://` or `https://` URL, without " +
					"credentials, on a port ThingSpace delivers to (" + thingspace.CallbackPortsText() + "; a URL without a " +
					"port uses 80 or 443). For the relay, its `/callbacks` path. Changing it registers the listener again.",
				Validators: []validator.String{validators.HTTPURL(), validators.CallbackPort(), validators.CallbackURLInClear()},
			},
			"username": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "User name ThingSpace puts into every callback (the relay's `--callback-username`). " +
					"Changing it registers the listener again.",
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"password": schema.StringAttribute{
				Optional:  true,
				Sensitive: true,
				MarkdownDescription: "Password ThingSpace puts into every callback (the relay's `--callback-password`). " +
					"It is stored in state (marked sensitive); with Terraform 1.11 or later, set `password_wo` instead to " +
					"keep it out of state. Exactly one of the two is required. Changing it registers the listener again.",
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"password_wo": schema.StringAttribute{
				Optional:  true,
				Sensitive: true,
				WriteOnly: true,
				MarkdownDescription: "The same password as a write-only value (Terraform 1.11 or later): sent when the " +
					"listener is registered, never stored in state or plan. Since Terraform cannot see a change of it, " +
					"change `password_wo_version` to send a new one. Exactly one of `password` and `password_wo` is required.",
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"password_wo_version": schema.Int64Attribute{
				Optional: true,
				MarkdownDescription: "Any number, stored in state: changing it registers the listener again with the " +
					"current `password_wo`. Only with `password_wo`.",
			},
		},
	}
}

func (r *callbackListenerResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.data = configuredData(req.ProviderData, &resp.Diagnostics)
}

// ValidateConfig asks for exactly one form of the password, and refuses the write-only one on a
// Terraform CLI that would store it in state like any other value.
func (r *callbackListenerResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var config callbackListenerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	hasPassword, hasPasswordWO := !config.Password.IsNull(), !config.PasswordWO.IsNull()
	switch {
	case hasPasswordWO && !req.ClientCapabilities.WriteOnlyAttributesAllowed:
		resp.Diagnostics.Append(listenerWriteOnlyUnsupported())
	case hasPassword && hasPasswordWO:
		resp.Diagnostics.Append(listenerPasswordTwice())
	case !hasPassword && !hasPasswordWO:
		resp.Diagnostics.Append(listenerPasswordMissing())
	case !hasPasswordWO && !config.PasswordWOVersion.IsNull():
		resp.Diagnostics.Append(listenerPasswordVersionAlone())
	}
}

func (r *callbackListenerResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	resp.Diagnostics.Append(r.registerPlanned(ctx, req.Plan, req.Config, &resp.State, listenerCreate)...)
}

// registerPlanned registers the planned listener and records it: Create and Update do the same,
// since registering again replaces the listener.
func (r *callbackListenerResource) registerPlanned(ctx context.Context, planned tfsdk.Plan, config tfsdk.Config,
	state *tfsdk.State, op listenerOperation) diag.Diagnostics {
	var plan callbackListenerModel
	diags := planned.Get(ctx, &plan)
	if diags.HasError() {
		return diags
	}
	diags.Append(r.register(ctx, config, &plan, op)...)
	if diags.HasError() {
		return diags
	}
	diags.Append(state.Set(ctx, &plan)...)
	return diags
}

// Read lists the account's listeners: a listener that is gone leaves state, so the next plan
// registers it again; a changed URL or username shows as drift.
func (r *callbackListenerResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	ctx = r.data.logContext(ctx)
	var state callbackListenerModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if r.data == nil || r.data.client == nil {
		tflog.Info(ctx, "Provider configuration not known yet; keeping the state as it is")
		return
	}
	account, service := state.AccountName.ValueString(), state.ServiceName.ValueString()
	listeners, err := r.data.client.CallbackListeners(ctx, account)
	if err != nil {
		resp.Diagnostics.Append(listenerNotRead(listenerID(account, service), err))
		return
	}
	for _, l := range listeners {
		if l.ServiceName != service {
			continue
		}
		state.URL = types.StringValue(l.URL)
		state.Username = types.StringValue(l.Username)
		state.ID = types.StringValue(listenerID(account, service))
		resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
		return
	}
	tflog.Warn(ctx, "The callback listener is no longer registered; removing it from state", map[string]any{
		"account_name": account, "service_name": service,
	})
	resp.State.RemoveResource(ctx)
}

func (r *callbackListenerResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	resp.Diagnostics.Append(r.registerPlanned(ctx, req.Plan, req.Config, &resp.State, listenerUpdate)...)
}

func (r *callbackListenerResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	ctx = r.data.logContext(ctx)
	var state callbackListenerModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	client, ok := r.data.requireClient(&resp.Diagnostics, "deregister the callback listener")
	if resp.Diagnostics.HasError() || !ok {
		return
	}
	account, service := state.AccountName.ValueString(), state.ServiceName.ValueString()
	if err := client.DeleteCallbackListener(ctx, account, service); err != nil {
		resp.Diagnostics.Append(listenerNotDeregistered(listenerID(account, service), err))
	}
}

// ImportState takes ACCOUNT/SERVICE; Read then fills in what ThingSpace has registered. The
// password is not read back: the next apply registers it from the configuration.
func (r *callbackListenerResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	account, service, ok := parseListenerID(req.ID)
	if !ok {
		resp.Diagnostics.Append(listenerImportIDInvalid(req.ID))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), listenerID(account, service))...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("account_name"), account)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("service_name"), service)...)
}

// ModifyPlan shows the provider's account_name when the resource does not set one, and with it
// the id the listener will have.
func (r *callbackListenerResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.data == nil {
		return // destroy, or validation before the provider is configured
	}
	planProviderDefault(ctx, req, resp, settingAccountName, r.data.accountName)
	var account, service types.String
	resp.Diagnostics.Append(resp.Plan.GetAttribute(ctx, path.Root("account_name"), &account)...)
	resp.Diagnostics.Append(resp.Plan.GetAttribute(ctx, path.Root("service_name"), &service)...)
	if resp.Diagnostics.HasError() || account.IsUnknown() || account.IsNull() || service.IsUnknown() || service.IsNull() {
		return
	}
	resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("id"), listenerID(account.ValueString(), service.ValueString()))...)
}

// listenerOperation is Create or Update, for what a failed registration leaves behind.
type listenerOperation int

const (
	listenerCreate listenerOperation = iota
	listenerUpdate
)

// register sends the planned listener to ThingSpace and completes plan as the new state. The
// write-only password comes from the configuration, since plans never hold it.
func (r *callbackListenerResource) register(ctx context.Context, config tfsdk.Config, plan *callbackListenerModel,
	op listenerOperation) (diags diag.Diagnostics) {
	ctx = r.data.logContext(ctx)
	var passwordWO types.String
	diags.Append(config.GetAttribute(ctx, path.Root("password_wo"), &passwordWO)...)
	client, ok := r.data.requireClient(&diags, "register the callback listener")
	if diags.HasError() || !ok {
		return diags
	}
	password := plan.Password.ValueString()
	if !passwordWO.IsNull() {
		password = passwordWO.ValueString()
	}
	// The provider's secrets are masked already; this one is the resource's own.
	ctx = thingspace.MaskSecrets(ctx, password)
	account, service := plan.AccountName.ValueString(), plan.ServiceName.ValueString()
	err := client.RegisterCallbackListener(ctx, account, thingspace.CallbackListener{
		Name:     service,
		URL:      plan.URL.ValueString(),
		Username: plan.Username.ValueString(),
		Password: password,
	})
	if err != nil {
		diags.Append(listenerNotRegistered(listenerID(account, service), op, err, password))
		return diags
	}
	tflog.Info(ctx, "Callback listener registered", map[string]any{"account_name": account, "service_name": service})
	plan.ID = types.StringValue(listenerID(account, service))
	plan.PasswordWO = types.StringNull()
	return diags
}

// noSlash keeps "/" out of service names: it separates the account from the service in the id.
var noSlash = regexp.MustCompile(`^[^/]*$`)

func listenerID(account, service string) string { return account + "/" + service }

// parseListenerID splits ACCOUNT/SERVICE. Neither part may be empty; account names and service
// names have no "/" of their own.
func parseListenerID(id string) (account, service string, ok bool) {
	account, service, found := strings.Cut(id, "/")
	if !found || account == "" || service == "" || strings.Contains(service, "/") {
		return "", "", false
	}
	return account, service, true
}
