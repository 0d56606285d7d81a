package main

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/simulator"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// unknownOutput is how Terraform 1.11 prints an outcome-unknown error without colour, wrapped.
const unknownOutput = `
Error: Outcome of the enable request unknown

  with thingspace_euicc_profile_enablement.r1,
  on main.tf line 15, in resource "thingspace_euicc_profile_enablement" "r1":
  15: resource "thingspace_euicc_profile_enablement" "r1" {

enable: ThingSpace answered 502 Bad Gateway. ThingSpace may have acted on the
request, so it was not repeated automatically: check the outcome before trying
again.

ThingSpace may or may not have accepted the enable request for these devices:
  - EID 22222 (ICCID 8914800000000000002)

No requestId came back, so nothing was saved to state, and the next ` + "`terraform apply`" + ` sends a
new enable request. Before applying again, find out whether ThingSpace accepted
this one: ...
`

func twoResources() cyclePlan {
	return cyclePlan{kind: kindBadGateway, resources: [][]device{
		{{EID: "11111", ICCID: "8914800000000000001"}},
		{{EID: "22222", ICCID: "8914800000000000002"}},
	}}
}

func enable(status int, requestID string, eids ...string) simulator.RecordedRequest {
	return simulator.RecordedRequest{Endpoint: simulator.EndpointProfileAction, Action: string(thingspace.ActionEnable),
		Status: status, RequestID: requestID, EIDs: eids}
}

func TestCheckCycleAcceptsAnUnknownOutcomeThatWasNotResent(t *testing.T) {
	p := twoResources()
	log := []simulator.RecordedRequest{enable(502, ""), enable(200, "a", "11111")}
	c := checkCycle(p, log, commandResult{failed: true, output: unknownOutput}, commandResult{})
	if len(c.problems) != 0 || c.enablesSent != 1 {
		t.Fatalf("problems %v, %d enables sent", c.problems, c.enablesSent)
	}
}

func TestCheckCycleFindsAResendAfterAnUnknownOutcome(t *testing.T) {
	p := twoResources()
	log := []simulator.RecordedRequest{enable(502, ""), enable(200, "a", "11111"), enable(200, "b", "22222")}
	c := checkCycle(p, log, commandResult{failed: true, output: unknownOutput}, commandResult{})
	if c.duplicates != 1 {
		t.Fatalf("duplicates = %d, want 1 (problems %v)", c.duplicates, c.problems)
	}
}

func TestCheckCycleFindsAnEnableAcceptedTwice(t *testing.T) {
	p := twoResources()
	p.kind = kindThrottled
	log := []simulator.RecordedRequest{enable(200, "a", "11111"), enable(200, "b", "22222"), enable(200, "c", "22222")}
	c := checkCycle(p, log, commandResult{}, commandResult{})
	if c.duplicates != 1 || c.enablesSent != 3 {
		t.Fatalf("duplicates = %d, enables %d (problems %v)", c.duplicates, c.enablesSent, c.problems)
	}
}

func TestCheckCycleWantsOneDisablePerResourceInState(t *testing.T) {
	p := twoResources()
	p.kind, p.disableOnDestroy = kindNone, true
	disable := enable(200, "d", "11111")
	disable.Action = string(thingspace.ActionDisable)
	log := []simulator.RecordedRequest{enable(200, "a", "11111"), enable(200, "b", "22222"), disable}
	c := checkCycle(p, log, commandResult{}, commandResult{})
	if len(c.problems) != 1 || c.problems[0].kind != problemMissing {
		t.Fatalf("problems %v, want one missing disable", c.problems)
	}
}

func TestCheckCycleHoldsAFailedApplyToItsFault(t *testing.T) {
	p := twoResources()
	p.kind = kindWarnings
	c := checkCycle(p, []simulator.RecordedRequest{enable(200, "a", "11111")}, commandResult{failed: true, output: unknownOutput}, commandResult{})
	if len(c.problems) == 0 || c.problems[0].kind != problemFailure {
		t.Fatalf("problems %v, want an unexpected failure", c.problems)
	}
	p.kind = kindDeviceFailure
	p.failing = []string{"11111"}
	c = checkCycle(p, []simulator.RecordedRequest{enable(200, "a", "11111"), enable(200, "b", "22222")},
		commandResult{failed: true, output: unknownOutput}, commandResult{})
	if len(c.problems) == 0 || c.problems[0].kind != problemDiagnostic {
		t.Fatalf("problems %v, want a diagnostic without the device failure", c.problems)
	}
}

func TestResourceNamedUnknownReadsTheListedDevices(t *testing.T) {
	if got := resourceNamedUnknown(unknownOutput, twoResources().resources); got != 1 {
		t.Fatalf("resource %d, want 1", got)
	}
	framed := strings.ReplaceAll(unknownOutput, "\n", "\n│ ")
	if got := resourceNamedUnknown(framed, twoResources().resources); got != 1 {
		t.Fatalf("framed output: resource %d, want 1", got)
	}
}

func TestNormalizeOutputUndoesWrapping(t *testing.T) {
	if !strings.Contains(normalizeOutput(unknownOutput), "find out whether ThingSpace accepted this one") {
		t.Fatal("a wrapped phrase was not found")
	}
}

func TestPlanCycleIsReproducibleAndValid(t *testing.T) {
	a, b := rand.New(rand.NewPCG(7, 7)), rand.New(rand.NewPCG(7, 7))
	for n := 1; n <= 300; n++ {
		p, q := planCycle(a, n), planCycle(b, n)
		if p.kind != q.kind || len(p.devices()) != len(q.devices()) {
			t.Fatalf("cycle %d differs between two generators of one seed", n)
		}
		if d := len(p.devices()); d < 1 || d > maxDevicesPerCycle {
			t.Fatalf("cycle %d has %d devices", n, d)
		}
		for _, d := range p.devices() {
			if !thingspace.EIDChecksumOK(d.EID) || !thingspace.ICCIDLuhnOK(d.ICCID) {
				t.Fatalf("cycle %d: device %+v fails its check digits", n, d)
			}
			if err := p.behavior(d.EID).Validate(); err != nil {
				t.Fatalf("cycle %d: %v", n, err)
			}
		}
		if f, ok := p.fault(); ok {
			if err := f.Validate(); err != nil {
				t.Fatalf("cycle %d: %v", n, err)
			}
		}
	}
}
