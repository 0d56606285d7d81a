package validators_test

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/validators"
)

// Identifiers used across the tests: a GSMA-valid EID and Luhn-valid ICCID, and the source
// document's pair, which ThingSpace accepts but which fail both checks.
const (
	validEID     = "89049032000001000000000000000074"
	validICCID   = "8914800000084078423"
	documentEID  = "666456789123456789123456784008"
	documentICCI = "89148000000840784259"
)

func validateString(v validator.String, value types.String) diag.Diagnostics {
	resp := &validator.StringResponse{}
	v.ValidateString(context.Background(), validator.StringRequest{Path: path.Root("x"), ConfigValue: value}, resp)
	return resp.Diagnostics
}

type want struct {
	errors, warnings int
	contains         string
}

func checkDiags(t *testing.T, diags diag.Diagnostics, w want) {
	t.Helper()
	if got := diags.ErrorsCount(); got != w.errors {
		t.Errorf("errors = %d, want %d: %v", got, w.errors, diags)
	}
	if got := diags.WarningsCount(); got != w.warnings {
		t.Errorf("warnings = %d, want %d: %v", got, w.warnings, diags)
	}
	if w.contains == "" {
		return
	}
	for _, d := range diags {
		if strings.Contains(d.Summary()+" "+d.Detail(), w.contains) {
			return
		}
	}
	t.Errorf("no diagnostic mentions %q: %v", w.contains, diags)
}

func TestEID(t *testing.T) {
	cases := map[string]struct {
		value types.String
		want  want
	}{
		"gsma valid":               {types.StringValue(validEID), want{}},
		"source document, warning": {types.StringValue(documentEID), want{warnings: 1, contains: "check digit"}},
		"31 digits, warning":       {types.StringValue(validEID[:31]), want{warnings: 1}},
		"32 digits bad mod 97":     {types.StringValue(validEID[:31] + "5"), want{warnings: 1}},
		"letters":                  {types.StringValue("8904903200000100000000000000007A"), want{errors: 1, contains: "not a decimal digit"}},
		"33 digits":                {types.StringValue(validEID + "1"), want{errors: 1, contains: "33 digits"}},
		"empty":                    {types.StringValue(""), want{errors: 1, contains: "empty"}},
		"spaces":                   {types.StringValue(" " + validEID), want{errors: 1}},
		"null is not checked":      {types.StringNull(), want{}},
		"unknown is not checked":   {types.StringUnknown(), want{}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			checkDiags(t, validateString(validators.EID(), tc.value), tc.want)
		})
	}
}

func TestICCID(t *testing.T) {
	cases := map[string]struct {
		value types.String
		want  want
	}{
		"luhn valid":               {types.StringValue(validICCID), want{}},
		"source document, warning": {types.StringValue(documentICCI), want{warnings: 1, contains: "Luhn"}},
		"17 digits":                {types.StringValue("89148000000840784"), want{errors: 1, contains: "17 digits"}},
		"23 digits":                {types.StringValue("89148000000840784259123"), want{errors: 1}},
		"hex":                      {types.StringValue("8914800000084078425F"), want{errors: 1}},
		"unknown is not checked":   {types.StringUnknown(), want{}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			checkDiags(t, validateString(validators.ICCID(), tc.value), tc.want)
		})
	}
}

func devices(t *testing.T, eids ...attr.Value) types.List {
	t.Helper()
	objectType := types.ObjectType{AttrTypes: map[string]attr.Type{"eid": types.StringType}}
	elements := make([]attr.Value, 0, len(eids))
	for _, eid := range eids {
		elements = append(elements, types.ObjectValueMust(objectType.AttrTypes, map[string]attr.Value{"eid": eid}))
	}
	return types.ListValueMust(objectType, elements)
}

func TestUniqueAttribute(t *testing.T) {
	cases := map[string]struct {
		list types.List
		want want
	}{
		"distinct": {devices(t, types.StringValue("1"), types.StringValue("2")), want{}},
		"duplicate": {devices(t, types.StringValue("1"), types.StringValue("2"), types.StringValue("1")),
			want{errors: 1, contains: `"1" is listed at index 0 and again at index 2`}},
		"three times":           {devices(t, types.StringValue("7"), types.StringValue("7"), types.StringValue("7")), want{errors: 2}},
		"unknown elements pass": {devices(t, types.StringUnknown(), types.StringUnknown()), want{}},
		"unknown list":          {types.ListUnknown(types.ObjectType{}), want{}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resp := &validator.ListResponse{}
			validators.UniqueAttribute("eid").ValidateList(context.Background(),
				validator.ListRequest{Path: path.Root("devices"), ConfigValue: tc.list}, resp)
			checkDiags(t, resp.Diagnostics, tc.want)
		})
	}
}

func TestRequestTimeout(t *testing.T) {
	for value, errors := range map[string]int{"60s": 0, "1m30s": 0, "250ms": 0, "0s": 1, "-5s": 1, "60": 1, "soon": 1} {
		t.Run(value, func(t *testing.T) {
			checkDiags(t, validateString(validators.RequestTimeout(), types.StringValue(value)), want{errors: errors})
		})
	}
}

func TestHTTPURL(t *testing.T) {
	for value, errors := range map[string]int{
		"https://relay.example.com": 0, "http://127.0.0.1:8080/base": 0,
		"relay.example.com": 1, "ftp://relay.example.com": 1, "https://": 1, "::": 1,
		"https://user@relay.example.com": 1, "https://user:pw@relay.example.com:8443/base": 1,
	} {
		t.Run(value, func(t *testing.T) {
			checkDiags(t, validateString(validators.HTTPURL(), types.StringValue(value)), want{errors: errors})
		})
	}
}

func TestHTTPURLNeverRepeatsEmbeddedCredentials(t *testing.T) {
	diags := validateString(validators.HTTPURL(), types.StringValue("https://user:hunter2@relay.example.com"))
	checkDiags(t, diags, want{errors: 1, contains: "must not carry credentials"})
	for _, d := range diags {
		if strings.Contains(d.Detail(), "hunter2") {
			t.Fatalf("diagnostic repeats the password: %s", d.Detail())
		}
	}
}
