package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/profileops"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// Unit tests for what needs no Terraform CLI: setting resolution, device comparison and the
// wording of diagnostics. The acceptance tests cover the same paths end to end.

func TestResolveConfigurationWinsOverEnvironment(t *testing.T) {
	t.Setenv(settingRelayURL.env, "https://from-env.example.com")
	cases := map[string]struct {
		value types.String
		want  resolved
	}{
		"configured":            {types.StringValue("https://from-config.example.com"), resolved{value: "https://from-config.example.com"}},
		"null falls back":       {types.StringNull(), resolved{value: "https://from-env.example.com"}},
		"unknown stays unknown": {types.StringUnknown(), resolved{unknown: true}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := resolve(tc.value, settingRelayURL); got != tc.want {
				t.Fatalf("resolve = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func summaries(diags diag.Diagnostics) string {
	var out []string
	for _, d := range diags {
		out = append(out, d.Summary())
	}
	return strings.Join(out, "; ")
}

func TestValidateReportsEachMissingValueOnce(t *testing.T) {
	known := func(v string) resolved { return resolved{value: v} }
	complete := providerConfig{
		clientID: known("id"), clientSecret: known("secret"), username: known("user"), password: known("pw"),
		relayURL: known("https://relay.example.com"), relayToken: known("token"), baseURL: known("https://api.example.com"),
	}
	cases := map[string]struct {
		change func(*providerConfig)
		want   string
	}{
		"complete": {func(*providerConfig) {}, ""},
		"tokens replace pairs": {func(c *providerConfig) {
			*c = providerConfig{accessToken: known("b"), sessionToken: known("s"), relayURL: c.relayURL, relayToken: c.relayToken}
		}, ""},
		"nothing at all":           {func(c *providerConfig) { *c = providerConfig{} }, "Missing client_id; Missing client_secret; Missing username; Missing password; Missing relay_url; Missing relay_token"},
		"half a pair":              {func(c *providerConfig) { c.password = resolved{} }, "Missing password"},
		"unknown pair is not yet":  {func(c *providerConfig) { c.clientID, c.clientSecret = resolved{unknown: true}, resolved{} }, ""},
		"unknown relay is not yet": {func(c *providerConfig) { c.relayURL = resolved{unknown: true} }, ""},
		"url without scheme":       {func(c *providerConfig) { c.relayURL = known("relay.example.com") }, "Invalid relay_url"},
		"credentials in a url":     {func(c *providerConfig) { c.baseURL = known("https://u:pw@api.example.com") }, "Invalid base_url"},
		"zero request timeout":     {func(c *providerConfig) { c.requestTimeout = known("0s") }, "Invalid request_timeout"},
		"half a pair with a token": {func(c *providerConfig) { c.clientSecret, c.accessToken = resolved{}, known("b") }, "Missing client_secret"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := complete
			tc.change(&c)
			if got := summaries(c.validate()); got != tc.want {
				t.Fatalf("validate = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestMissingValueNamesAttributeAndVariable(t *testing.T) {
	diags := providerConfig{accessToken: resolved{value: "b"}, sessionToken: resolved{value: "s"}, relayToken: resolved{value: "t"}}.validate()
	if len(diags) != 1 || !strings.Contains(diags[0].Detail(), "relay_url") || !strings.Contains(diags[0].Detail(), "THINGSPACE_RELAY_URL") {
		t.Fatalf("diagnostics = %v, want one naming relay_url and THINGSPACE_RELAY_URL", diags)
	}
}

func TestSameDevicesIgnoresOrderOnly(t *testing.T) {
	d := func(eid, iccid string) deviceModel {
		return deviceModel{EID: types.StringValue(eid), ICCID: types.StringValue(iccid)}
	}
	a, b, c := d("1", "11"), d("2", "22"), d("3", "33")
	cases := []struct {
		x, y []deviceModel
		want bool
	}{
		{[]deviceModel{a, b}, []deviceModel{b, a}, true},
		{[]deviceModel{a, b}, []deviceModel{a, b, c}, false},
		{[]deviceModel{a, b}, []deviceModel{a, c}, false},
		{[]deviceModel{a, b}, []deviceModel{a, d("2", "23")}, false},
		{[]deviceModel{a, a}, []deviceModel{a, b}, false},
	}
	for i, tc := range cases {
		if got := sameDevices(tc.x, tc.y); got != tc.want {
			t.Errorf("case %d: sameDevices = %v, want %v", i, got, tc.want)
		}
	}
}

func TestUserAgentNamesProviderAndTerraform(t *testing.T) {
	got := userAgent("1.2.3", "1.11.4")
	if !strings.HasPrefix(got, "terraform-provider-thingspace/1.2.3 ") || !strings.HasSuffix(got, " Terraform/1.11.4") {
		t.Fatalf("userAgent = %q", got)
	}
}

func TestWaitEndedSaysWhatHappensNext(t *testing.T) {
	report := &profileops.Report{Pending: []profileops.PendingDevice{
		{RequestedDevice: thingspace.RequestedDevice{EID: "111", ICCID: "222"}, LastStatus: "Warning"},
		{RequestedDevice: thingspace.RequestedDevice{EID: "333", ICCID: "444"}},
	}}
	cases := map[string]struct {
		phase phase
		err   error
		want  []string
	}{
		"create timeout": {enablementCreate, fmt.Errorf("waiting: %w", context.DeadlineExceeded),
			[]string{"Timed out waiting for the enable request R-1", "EID 111 (ICCID 222): last callback status Warning",
				"EID 333 (ICCID 444): no callback yet", "tainted", "terraform untaint", "timeouts.create"}},
		"create interrupted": {enablementCreate, fmt.Errorf("waiting: %w", context.Canceled),
			[]string{"Interrupted while waiting for the enable request R-1", "EID 111", "terraform untaint"}},
		"relay lost": {enablementCreate, errors.New("giving up on the relay after 10 consecutive failures"),
			[]string{"Cannot follow the enable request R-1 on the relay", "10 consecutive failures", "THINGSPACE_RELAY_URL", "tainted"}},
		"delete timeout": {enablementDelete, context.DeadlineExceeded,
			[]string{"Timed out waiting for the disable request R-1", "destroy again sends a new disable request", "timeouts.delete"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d := waitEnded(tc.phase, "R-1", 0, report, tc.err)
			text := d.Summary() + "\n" + d.Detail()
			for _, want := range tc.want {
				if !strings.Contains(text, want) {
					t.Errorf("diagnostic does not say %q:\n%s", want, text)
				}
			}
			if tc.phase == enablementDelete && strings.Contains(text, "untaint") {
				t.Errorf("a destroy diagnostic talks about untaint:\n%s", text)
			}
		})
	}
}

func TestDeviceFailuresOnePerDevice(t *testing.T) {
	diags := deviceFailures(enablementCreate, "R-1", []thingspace.DeviceResult{
		{EID: "111", ICCID: "222", FaultCode: "DeviceService.REQUEST_FAILED.DeviceNotFound", FaultString: "no such device"},
		{EID: "333"},
	})
	if len(diags) != 2 {
		t.Fatalf("got %d diagnostics, want one per failed device", len(diags))
	}
	first := diags[0].Summary() + diags[0].Detail()
	for _, want := range []string{"device 111", "DeviceService.REQUEST_FAILED.DeviceNotFound: no such device (EID 111", "requestId R-1).", "ICCID 222"} {
		if !strings.Contains(first, want) {
			t.Errorf("diagnostic does not say %q: %s", want, first)
		}
	}
	if !strings.Contains(diags[1].Detail(), "without a fault code") {
		t.Errorf("a failure without fault code is not explained: %s", diags[1].Detail())
	}
}

func TestWaitOutcomeReportsFailuresAlsoWhenTheWaitEndsEarly(t *testing.T) {
	report := &profileops.Report{
		Failed:  []thingspace.DeviceResult{{EID: "111", FaultCode: "X"}},
		Pending: []profileops.PendingDevice{{RequestedDevice: thingspace.RequestedDevice{EID: "333"}}},
	}
	got := summaries(waitOutcome(enablementCreate, "R-1", 0, report, context.DeadlineExceeded))
	if got != "Profile enable failed on device 111; Timed out waiting for the enable request R-1" {
		t.Fatalf("diagnostics = %q", got)
	}
	if got := waitOutcome(enablementCreate, "R-1", 0, &profileops.Report{Status: profileops.StatusSuccess}, nil); got.HasError() {
		t.Fatalf("a successful wait reported %v", got)
	}
}
