package validators

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// HTTPURL accepts an absolute http or https URL. A relay or API address without a scheme
// ("relay.example.com") is the most common typo and would otherwise fail only at apply time,
// after the plan was reviewed.
func HTTPURL() validator.String { return httpURL{} }

type httpURL struct{}

func (httpURL) Description(context.Context) string {
	return "an absolute http:// or https:// URL"
}

func (v httpURL) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v httpURL) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := CheckHTTPURL(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid URL", err.Error())
	}
}

// CheckHTTPURL is HTTPURL's rule for values that do not come from configuration (environment
// variables), so both report the same message.
func CheckHTTPURL(value string) error {
	if strings.Contains(value, "@") {
		// Checked first, and without echoing the value, so a password embedded in the URL
		// never reaches a diagnostic.
		return fmt.Errorf("the URL must not carry credentials (user:password@); configure them in their own attributes instead")
	}
	u, err := url.Parse(value)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http:// or https:// URL; write it with its scheme, for example https://relay.example.com", value)
	}
	return nil
}
