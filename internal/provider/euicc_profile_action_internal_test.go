package provider

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/profileops"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/testsupport"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// The framework takes progress events over an unbuffered channel that nobody reads once
// Terraform's stream has ended. A report on its way then must not hang the invocation, and no
// report may be sent after the invocation's context ended.
func TestProgressReporterNeverOutlivesTheInvocation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := make(chan action.InvokeProgressEvent) // unbuffered, as the framework's
	var sends atomic.Int32
	r := progressReporter{ctx: ctx, send: func(e action.InvokeProgressEvent) {
		sends.Add(1)
		events <- e
	}}
	first := make(chan string, 1)
	go func() { first <- (<-events).Message }() // the stream takes one event, then ends

	r.report("first")
	if got := <-first; got != "first" {
		t.Fatalf("the stream received %q, want \"first\"", got)
	}
	returned := make(chan struct{})
	go func() {
		r.report("second") // nobody reads any more
		close(returned)
	}()
	testsupport.Eventually(t, "the second report is on its way", func() bool { return sends.Load() == 2 })
	cancel()
	select {
	case <-returned:
	case <-time.After(testsupport.Patience):
		t.Fatal("a report blocked after the invocation's context ended")
	}
	r.report("third")
	if got := sends.Load(); got != 2 {
		t.Errorf("%d sends, want 2: a report was sent after the invocation's context ended", got)
	}
	<-events // let the abandoned send finish, so the test leaves no goroutine behind
}

func TestProgressLineSaysWhichDeviceSaidWhat(t *testing.T) {
	device := thingspace.RequestedDevice{EID: "89049032000001000000000000000074", ICCID: "8914800000084078423"}
	cases := map[string]struct {
		o    profileops.Observation
		want string
	}{
		"warning": {profileops.Observation{Device: device, Status: "Warning", Outcome: thingspace.OutcomePending, Total: 2},
			"Device 89049032000001000000000000000074 (ICCID 8914800000084078423): Warning, ThingSpace is still trying (0 of 2 device(s) answered)"},
		"success": {profileops.Observation{Device: device, Status: "Success", Outcome: thingspace.OutcomeSuccess, Final: true, Answered: 1, Total: 2},
			"Device 89049032000001000000000000000074 (ICCID 8914800000084078423): Success (1 of 2 device(s) answered)"},
		"failure": {profileops.Observation{Device: device, Status: "Failed", Outcome: thingspace.OutcomeFailure, Final: true,
			FaultCode: "DeviceService.REQUEST_FAILED.UnexpectedError", Answered: 2, Total: 2},
			"Device 89049032000001000000000000000074 (ICCID 8914800000084078423): Failed with DeviceService.REQUEST_FAILED.UnexpectedError (2 of 2 device(s) answered)"},
	}
	for name, tc := range cases {
		if got := describeObservation(tc.o); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", name, got, tc.want)
		}
	}
}

func TestInvokeDefaultConfiguredThenProvider(t *testing.T) {
	cases := map[string]struct {
		configured types.String
		provider   resolved
		want       string
		fails      bool
	}{
		"configured wins":            {types.StringValue("0000999999-00001"), resolved{value: "0000123456-00001"}, "0000999999-00001", false},
		"unset takes the provider's": {types.StringNull(), resolved{value: "0000123456-00001"}, "0000123456-00001", false},
		"neither is an error":        {types.StringNull(), resolved{}, "", true},
	}
	for name, tc := range cases {
		got, diags := invokeDefault(settingAccountName, tc.configured, tc.provider)
		if got != tc.want || diags.HasError() != tc.fails {
			t.Errorf("%s: got %q, diagnostics %v; want %q, error %v", name, got, diags, tc.want, tc.fails)
		}
		if tc.fails && diags[0].Summary() != "Missing account_name" {
			t.Errorf("%s: summary %q, want Missing account_name", name, diags[0].Summary())
		}
	}
}
