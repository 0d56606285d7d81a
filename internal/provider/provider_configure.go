package provider

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/profileops"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/relayclient"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
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
		requestTimeout:    resolve(m.RequestTimeout, settingRequestTimeout),
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
// environment variable, so one run shows the user everything to fix. The rules are
// internal/thingspace's, the same the schema validators apply at plan time; checking here too
// covers values from the environment and values that were unknown while validating.
func (c providerConfig) validate() diag.Diagnostics {
	var diags diag.Diagnostics
	requireCredentials(&diags, thingspace.OAuthCredentials, c.clientID, c.clientSecret, c.accessToken)
	requireCredentials(&diags, thingspace.M2MCredentials, c.username, c.password, c.sessionToken)
	require(&diags, settingRelayURL, c.relayURL, "the address of the thingspace-relay that receives ThingSpace's callbacks")
	require(&diags, settingRelayToken, c.relayToken, "the relay's read token (its --read-token)")
	for _, u := range []struct {
		s setting
		r resolved
	}{{settingBaseURL, c.baseURL}, {settingRelayURL, c.relayURL}} {
		if u.r.value == "" {
			continue // unknown, or missing (reported above, or defaulted)
		}
		if err := thingspace.CheckHTTPURL(u.r.value); err != nil {
			diags.Append(invalidSetting(u.s, err))
		} else if thingspace.CrossesNetworkInClear(u.r.value) {
			diags.Append(settingInClear(u.s))
		}
	}
	if c.requestTimeout.value != "" {
		if _, err := thingspace.ParseRequestTimeout(c.requestTimeout.value); err != nil {
			diags.Append(invalidSetting(settingRequestTimeout, err))
		}
	}
	return diags
}

// requireCredentials needs either both halves of a credential pair or the token that replaces
// them; a pair with an unknown value is checked once it is known.
func requireCredentials(diags *diag.Diagnostics, pair thingspace.CredentialPair, name, secret, token resolved) {
	if name.unknown || secret.unknown || token.unknown {
		return
	}
	for _, missing := range pair.Missing(name.value != "", secret.value != "", token.value != "") {
		diags.Append(missingCredential(pair, missing, token.value != ""))
	}
}

func require(diags *diag.Diagnostics, s setting, v resolved, what string) {
	if v.missing() {
		diags.Append(missingSetting(s, what))
	}
}

// requestTimeoutValue is the configured per-request timeout, or 0 for the client's default when
// none is set (validate has already refused a malformed one, which would also read as 0).
func (c providerConfig) requestTimeoutValue() time.Duration {
	timeout, _ := thingspace.ParseRequestTimeout(c.requestTimeout.value)
	return timeout
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
	data := &providerData{accountName: cfg.accountName, smsrOid: cfg.smsrOid, secrets: cfg.secrets()}
	if cfg.connectionKnown() {
		var diags diag.Diagnostics
		data.operator, data.client, diags = p.connect(cfg, userAgent(p.version, req.TerraformVersion))
		resp.Diagnostics.Append(diags...)
		if resp.Diagnostics.HasError() {
			return
		}
	} else {
		tflog.Info(ctx, "Provider configuration depends on values not known yet; resources can plan but not apply until they are known")
	}
	resp.ResourceData = data
	resp.DataSourceData = data
	resp.ActionData = data
}

// connect builds the one ThingSpace client and the one relay client this provider instance
// shares among all its resources (one bearer, one session, one relay connection pool).
func (p *thingspaceProvider) connect(cfg providerConfig, ua string) (*profileops.Operator, *thingspace.Client, diag.Diagnostics) {
	var diags diag.Diagnostics
	client, err := thingspace.NewClient(thingspace.Config{
		BaseURL:        cfg.baseURL.value,
		ClientID:       cfg.clientID.value,
		ClientSecret:   cfg.clientSecret.value,
		AccessToken:    cfg.accessToken.value,
		Username:       cfg.username.value,
		Password:       cfg.password.value,
		SessionToken:   cfg.sessionToken.value,
		RequestTimeout: cfg.requestTimeoutValue(),
		MaxRetries:     cfg.maxRetries,
		RetryMinDelay:  p.options.ThingSpaceRetryMinDelay,
		RetryMaxDelay:  p.options.ThingSpaceRetryMaxDelay,
		UserAgent:      ua,
		HTTPClient:     p.options.HTTPClient,
	})
	if err != nil {
		diags.Append(clientNotBuilt("ThingSpace", err))
		return nil, nil, diags
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
		diags.Append(clientNotBuilt("relay", err))
		return nil, nil, diags
	}
	return profileops.New(client, relayClient), client, diags
}

// secrets lists the configured secret values, for masking in logs.
func (c providerConfig) secrets() []string {
	return []string{c.clientSecret.value, c.accessToken.value, c.password.value, c.sessionToken.value, c.relayToken.value}
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
