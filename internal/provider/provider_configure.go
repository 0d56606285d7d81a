package provider

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/profileops"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/relayclient"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/validators"
)

// resolved is one setting after applying "configuration wins over environment".
type resolved struct {
	value string
	// unknown is true when the configuration value is not known yet (it depends on another
	// resource). Terraform knows it by apply time; until then nothing may fail because of it.
	unknown bool
}

func (r resolved) missing() bool { return !r.unknown && r.value == "" }

func resolve(v types.String, s setting) resolved {
	switch {
	case v.IsUnknown():
		return resolved{unknown: true}
	case !v.IsNull():
		return resolved{value: v.ValueString()}
	case s.env == "":
		return resolved{}
	default:
		return resolved{value: os.Getenv(s.env)}
	}
}

// providerConfig is the provider block with environment fallbacks applied.
type providerConfig struct {
	baseURL, clientID, clientSecret, accessToken resolved
	username, password, sessionToken             resolved
	accountName, smsrOid, relayURL, relayToken   resolved
	requestTimeout                               resolved
	maxRetries                                   int
	maxRetriesUnknown                            bool
}

func resolveConfig(m providerModel) providerConfig {
	c := providerConfig{
		baseURL:           resolve(m.BaseURL, settingBaseURL),
		clientID:          resolve(m.ClientID, settingClientID),
		clientSecret:      resolve(m.ClientSecret, settingClientSecret),
		accessToken:       resolve(m.AccessToken, settingAccessToken),
		username:          resolve(m.Username, settingUsername),
		password:          resolve(m.Password, settingPassword),
		sessionToken:      resolve(m.SessionToken, settingSessionToken),
		accountName:       resolve(m.AccountName, settingAccountName),
		smsrOid:           resolve(m.SmsrOid, settingSmsrOid),
		relayURL:          resolve(m.RelayURL, settingRelayURL),
		relayToken:        resolve(m.RelayToken, settingRelayToken),
		requestTimeout:    resolve(m.RequestTimeout, setting{attr: "request_timeout"}), // no environment variable
		maxRetries:        thingspace.DefaultMaxRetries,
		maxRetriesUnknown: m.MaxRetries.IsUnknown(),
	}
	if !m.MaxRetries.IsNull() && !m.MaxRetries.IsUnknown() {
		c.maxRetries = int(m.MaxRetries.ValueInt64())
	}
	return c
}

// connectionKnown reports whether every value the clients need is known. When it is not (plan
// with values computed by other resources), the provider configures without clients and
// resources only plan; Terraform configures it again with known values before apply.
func (c providerConfig) connectionKnown() bool {
	for _, r := range []resolved{c.baseURL, c.clientID, c.clientSecret, c.accessToken, c.username,
		c.password, c.sessionToken, c.relayURL, c.relayToken, c.requestTimeout} {
		if r.unknown {
			return false
		}
	}
	return !c.maxRetriesUnknown
}

// validate reports every missing or malformed value at once, each naming its attribute and its
// environment variable, so one run shows the user everything to fix.
func (c providerConfig) validate() diag.Diagnostics {
	var diags diag.Diagnostics
	requireOneOf(&diags, settingClientID, c.clientID, settingClientSecret, c.clientSecret, settingAccessToken, c.accessToken,
		"OAuth client credentials")
	requireOneOf(&diags, settingUsername, c.username, settingPassword, c.password, settingSessionToken, c.sessionToken,
		"M2M (UWS) credentials")
	require(&diags, settingRelayURL, c.relayURL, "the address of the thingspace-relay that receives ThingSpace's callbacks")
	require(&diags, settingRelayToken, c.relayToken, "the relay's read token (its --read-token)")
	for _, u := range []struct {
		s setting
		r resolved
	}{{settingBaseURL, c.baseURL}, {settingRelayURL, c.relayURL}} {
		if u.r.unknown || u.r.value == "" {
			continue
		}
		if err := validators.CheckHTTPURL(u.r.value); err != nil {
			diags.AddAttributeError(path.Root(u.s.attr), "Invalid "+u.s.attr,
				fmt.Sprintf("%s (set by %s or the %s environment variable).", err, u.s.attr, u.s.env))
		}
	}
	return diags
}

// requireOneOf needs either both halves of a credential pair or the token that replaces them.
func requireOneOf(diags *diag.Diagnostics, a setting, av resolved, b setting, bv resolved, token setting, tv resolved, what string) {
	if av.unknown || bv.unknown || tv.unknown || tv.value != "" {
		return
	}
	for _, half := range []struct {
		s, other setting
		r        resolved
	}{{a, b, av}, {b, a, bv}} {
		if !half.r.missing() {
			continue
		}
		diags.AddAttributeError(path.Root(half.s.attr), "Missing "+half.s.attr,
			fmt.Sprintf("The provider needs %s for its %s: set %s in the provider block or the %s environment variable "+
				"(together with %s / %s), or instead set %s / %s to a token obtained elsewhere.",
				half.s.attr, what, half.s.attr, half.s.env, half.other.attr, half.other.env, token.attr, token.env))
	}
}

func require(diags *diag.Diagnostics, s setting, v resolved, what string) {
	if v.missing() {
		diags.AddAttributeError(path.Root(s.attr), "Missing "+s.attr,
			fmt.Sprintf("The provider needs %s, %s: set %s in the provider block or the %s environment variable.",
				s.attr, what, s.attr, s.env))
	}
}

func (p *thingspaceProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var model providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &model)...)
	if resp.Diagnostics.HasError() {
		return
	}
	cfg := resolveConfig(model)
	resp.Diagnostics.Append(cfg.validate()...)
	if resp.Diagnostics.HasError() {
		return
	}
	data := &providerData{accountName: cfg.accountName, smsrOid: cfg.smsrOid, staticSecrets: cfg.secrets()}
	if cfg.connectionKnown() {
		var diags diag.Diagnostics
		data.operator, data.client, data.clientSecrets, diags = p.connect(cfg, userAgent(p.version, req.TerraformVersion))
		resp.Diagnostics.Append(diags...)
		if resp.Diagnostics.HasError() {
			return
		}
	} else {
		tflog.Info(ctx, "Provider configuration depends on values not known yet; resources can plan but not apply until they are known")
	}
	resp.ResourceData = data
}

// connect builds the one ThingSpace client and the one relay client this provider instance
// shares among all its resources (one bearer, one session, one relay connection pool).
func (p *thingspaceProvider) connect(cfg providerConfig, ua string) (*profileops.Operator, *thingspace.Client, func() []string, diag.Diagnostics) {
	var diags diag.Diagnostics
	var timeout time.Duration // 0: the client's default
	if cfg.requestTimeout.value != "" {
		var err error
		timeout, err = time.ParseDuration(cfg.requestTimeout.value)
		if err != nil || timeout <= 0 { // the schema validator already refused it; kept for safety
			diags.AddAttributeError(path.Root("request_timeout"), "Invalid request_timeout",
				fmt.Sprintf("%q is not a positive duration such as \"60s\".", cfg.requestTimeout.value))
			return nil, nil, nil, diags
		}
	}
	client, err := thingspace.NewClient(thingspace.Config{
		BaseURL:        cfg.baseURL.value,
		ClientID:       cfg.clientID.value,
		ClientSecret:   cfg.clientSecret.value,
		AccessToken:    cfg.accessToken.value,
		Username:       cfg.username.value,
		Password:       cfg.password.value,
		SessionToken:   cfg.sessionToken.value,
		RequestTimeout: timeout,
		MaxRetries:     cfg.maxRetries,
		RetryMinDelay:  p.options.ThingSpaceRetryMinDelay,
		RetryMaxDelay:  p.options.ThingSpaceRetryMaxDelay,
		UserAgent:      ua,
		HTTPClient:     p.options.HTTPClient,
	})
	if err != nil {
		diags.AddError("Invalid ThingSpace configuration", err.Error())
		return nil, nil, nil, diags
	}
	relayClient, err := relayclient.New(relayclient.Config{
		BaseURL:       cfg.relayURL.value,
		Token:         cfg.relayToken.value,
		HTTPClient:    p.options.HTTPClient,
		UserAgent:     ua,
		PollWait:      p.options.RelayPollWait,
		RetryMinDelay: p.options.RelayRetryMinDelay,
		RetryMaxDelay: p.options.RelayRetryMaxDelay,
		OnOutage:      profileops.LogRelayOutage,
	})
	if err != nil {
		diags.AddError("Invalid relay configuration", fmt.Sprintf("%s (check relay_url / %s and relay_token / %s).",
			err, settingRelayURL.env, settingRelayToken.env))
		return nil, nil, nil, diags
	}
	return profileops.New(client, relayClient), client, client.Secrets, diags
}

// secrets lists the configured secret values, for masking in logs.
func (c providerConfig) secrets() []string {
	var out []string
	for _, r := range []resolved{c.clientSecret, c.accessToken, c.password, c.sessionToken, c.relayToken} {
		if r.value != "" {
			out = append(out, r.value)
		}
	}
	return out
}

// userAgent names the provider and the Terraform CLI driving it, so ThingSpace support and relay
// operators can tell which version sent a request.
func userAgent(version, terraformVersion string) string {
	if terraformVersion == "" {
		terraformVersion = "unknown"
	}
	return fmt.Sprintf("terraform-provider-thingspace/%s (+https://registry.terraform.io/providers/euicc-ops/thingspace) Terraform/%s",
		version, terraformVersion)
}
