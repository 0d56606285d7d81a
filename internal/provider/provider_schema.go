package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/validators"
)

// setting pairs a provider attribute with the environment variable it falls back to (contract:
// see the provider configuration table in the architecture page).
type setting struct {
	attr string
	env  string
}

var (
	settingBaseURL      = setting{"base_url", "THINGSPACE_BASE_URL"}
	settingClientID     = setting{"client_id", "THINGSPACE_CLIENT_ID"}
	settingClientSecret = setting{"client_secret", "THINGSPACE_CLIENT_SECRET"}
	settingAccessToken  = setting{"access_token", "THINGSPACE_ACCESS_TOKEN"}
	settingUsername     = setting{"username", "THINGSPACE_USERNAME"}
	settingPassword     = setting{"password", "THINGSPACE_PASSWORD"}
	settingSessionToken = setting{"session_token", "THINGSPACE_SESSION_TOKEN"}
	settingAccountName  = setting{"account_name", "THINGSPACE_ACCOUNT_NAME"}
	settingSmsrOid      = setting{"smsr_oid", "THINGSPACE_SMSR_OID"}
	settingRelayURL     = setting{"relay_url", "THINGSPACE_RELAY_URL"}
	settingRelayToken   = setting{"relay_token", "THINGSPACE_RELAY_TOKEN"}
	// settingRequestTimeout has no environment variable.
	settingRequestTimeout = setting{attr: "request_timeout"}
)

// settings lists every setting with an environment variable, in the documented order.
var settings = []setting{
	settingBaseURL, settingClientID, settingClientSecret, settingAccessToken, settingUsername, settingPassword,
	settingSessionToken, settingAccountName, settingSmsrOid, settingRelayURL, settingRelayToken,
}

// EnvironmentVariables maps each provider attribute that has one to its environment variable,
// for tests and tools that configure the provider through the environment.
func EnvironmentVariables() map[string]string {
	out := make(map[string]string, len(settings))
	for _, s := range settings {
		out[s.attr] = s.env
	}
	return out
}

// providerModel is the provider block as Terraform sends it.
type providerModel struct {
	BaseURL        types.String `tfsdk:"base_url"`
	ClientID       types.String `tfsdk:"client_id"`
	ClientSecret   types.String `tfsdk:"client_secret"`
	AccessToken    types.String `tfsdk:"access_token"`
	Username       types.String `tfsdk:"username"`
	Password       types.String `tfsdk:"password"`
	SessionToken   types.String `tfsdk:"session_token"`
	AccountName    types.String `tfsdk:"account_name"`
	SmsrOid        types.String `tfsdk:"smsr_oid"`
	RelayURL       types.String `tfsdk:"relay_url"`
	RelayToken     types.String `tfsdk:"relay_token"`
	RequestTimeout types.String `tfsdk:"request_timeout"`
	MaxRetries     types.Int64  `tfsdk:"max_retries"`
}

func (p *thingspaceProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Enables eSIM (eUICC) profiles on IoT devices through Verizon ThingSpace. " +
			"ThingSpace reports the outcome of a profile action only by calling a URL back, so the provider " +
			"waits on a `thingspace-relay` that receives those callbacks (see the relay guide).\n\n" +
			"Every attribute is optional in the block and falls back to its environment variable; " +
			"a value in the block wins over the environment.",
		Attributes: map[string]schema.Attribute{
			settingBaseURL.attr: stringSetting(settingBaseURL, false, fmt.Sprintf(
				"Base URL of the ThingSpace API. Defaults to `%s`.", thingspace.DefaultBaseURL), validators.HTTPURL()),
			settingClientID.attr: stringSetting(settingClientID, false,
				"OAuth client id (the ThingSpace application key). With `client_secret`, the provider obtains and renews the API bearer itself. Required unless `access_token` is set."),
			settingClientSecret.attr: stringSetting(settingClientSecret, true,
				"OAuth client secret (the ThingSpace application secret). Required with `client_id`."),
			settingAccessToken.attr: stringSetting(settingAccessToken, true,
				"An API bearer obtained elsewhere, used instead of `client_id`/`client_secret`. It cannot be renewed: when it expires, calls fail until it is replaced."),
			settingUsername.attr: stringSetting(settingUsername, false,
				"M2M (UWS) user name. With `password`, the provider logs in and renews the session itself. Required unless `session_token` is set. A refused login is never retried: five failures lock the account."),
			settingPassword.attr: stringSetting(settingPassword, true,
				"M2M (UWS) password. Required with `username`."),
			settingSessionToken.attr: stringSetting(settingSessionToken, true,
				"A `VZ-M2M-Token` session obtained elsewhere, used instead of `username`/`password`. It expires after 20 minutes without use and cannot be renewed by the provider."),
			settingAccountName.attr: stringSetting(settingAccountName, false,
				"Default billing account for resources that do not set `account_name`, leading zeros included (for example `0000123456-00001`)."),
			settingSmsrOid.attr: stringSetting(settingSmsrOid, false,
				"Default SM-SR object id for resources that do not set `smsr_oid` (for example `1.3.6.1.4.1.31746.1.500.200.101.5`)."),
			settingRelayURL.attr: stringSetting(settingRelayURL, false,
				"Base URL of the `thingspace-relay` that receives ThingSpace's callbacks, for example `https://relay.example.com`. Required, here or through the environment variable.",
				validators.HTTPURL()),
			settingRelayToken.attr: stringSetting(settingRelayToken, true,
				"Bearer token for reading from the relay (the relay's `--read-token`). Required, here or through the environment variable."),
			settingRequestTimeout.attr: schema.StringAttribute{
				Optional: true,
				MarkdownDescription: fmt.Sprintf("Time limit for each HTTP request to ThingSpace, as a Go duration "+
					"(`30s`, `2m`). Defaults to `%.0fs`. It bounds one attempt; waiting for callbacks is bounded by the resource's `timeouts`.",
					thingspace.DefaultRequestTimeout.Seconds()),
				Validators: []validator.String{validators.RequestTimeout()},
			},
			"max_retries": schema.Int64Attribute{
				Optional: true,
				MarkdownDescription: fmt.Sprintf("How many times a throttled (429) or failed ThingSpace call is retried, with "+
					"exponential backoff. Defaults to `%d`. Requests that start a profile action are retried only when "+
					"ThingSpace cannot have acted on them, so a retry never enables a profile twice.", thingspace.DefaultMaxRetries),
				Validators: []validator.Int64{int64validator.Between(0, 100)},
			},
		},
	}
}

// settingNamed returns the setting of a provider attribute, for the setting names
// internal/thingspace reports.
func settingNamed(attr string) setting {
	for _, s := range settings {
		if s.attr == attr {
			return s
		}
	}
	return setting{attr: attr}
}

// stringSetting is a provider attribute that falls back to an environment variable.
func stringSetting(s setting, sensitive bool, description string, extra ...validator.String) schema.StringAttribute {
	return schema.StringAttribute{
		Optional:            true,
		Sensitive:           sensitive,
		MarkdownDescription: fmt.Sprintf("%s Environment variable: `%s`.", description, s.env),
		Validators:          append([]validator.String{stringvalidator.LengthAtLeast(1)}, extra...),
	}
}
