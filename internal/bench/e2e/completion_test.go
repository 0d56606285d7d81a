package main

import (
	"strings"
	"testing"
	"time"
)

func timed(at time.Time, text string) []timedLine {
	var out []timedLine
	for i, line := range strings.Split(strings.TrimSpace(text), "\n") {
		out = append(out, timedLine{text: line, at: at.Add(time.Duration(i) * time.Millisecond)})
	}
	return out
}

// As Terraform 1.11 prints an apply with -no-color (shortened).
const applyOutput = `thingspace_euicc_profile_enablement.device["11"]: Creating...
thingspace_euicc_profile_enablement.device["22"]: Creating...
thingspace_euicc_profile_enablement.device["22"]: Creation complete after 2s [id=req-b]
thingspace_euicc_profile_enablement.device["11"]: Still creating... [10s elapsed]
thingspace_euicc_profile_enablement.device["11"]: Creation complete after 12s [id=req-a]

Apply complete! Resources: 2 added, 0 changed, 0 destroyed.
`

func TestCreationsReadTheTimeOfEachCreationCompleteLine(t *testing.T) {
	start := time.Date(2026, 11, 28, 18, 0, 0, 0, time.UTC)
	r := &run{lines: timed(start, applyOutput)}
	got, err := creations(r, []device{{EID: "11"}, {EID: "22"}})
	if err != nil {
		t.Fatal(err)
	}
	if got["22"].id != "req-b" || !got["22"].at.Equal(start.Add(2*time.Millisecond)) ||
		got["11"].id != "req-a" || !got["11"].at.Equal(start.Add(4*time.Millisecond)) {
		t.Fatalf("creations = %+v", got)
	}
	if _, err := creations(r, []device{{EID: "11"}, {EID: "22"}, {EID: "33"}}); err == nil {
		t.Fatal("a device without a creation was accepted")
	}
	if _, err := creations(r, []device{{EID: "11"}}); err == nil {
		t.Fatal("a creation of a device that was not configured was accepted")
	}
}

// Terraform prefixes each line a provisioner prints with the resource address.
const scriptOutput = `terraform_data.device["11"] (local-exec): enable request req-a sent for EID 11
terraform_data.device["22"] (local-exec): enabled EID 22 request_id=req-b finished_at=2026-11-28T18:57:05.100000000Z
terraform_data.device["11"] (local-exec): enabled EID 11 request_id=req-a finished_at=2026-11-28T18:57:05.250000000Z
terraform_data.device["11"]: Creation complete after 5s [id=3c5d]
`

func TestScriptRequestsNameEachDevicesRequest(t *testing.T) {
	got, err := scriptRequests(scriptOutput, []device{{EID: "11"}, {EID: "22"}})
	if err != nil {
		t.Fatal(err)
	}
	if got["11"] != "req-a" || got["22"] != "req-b" {
		t.Fatalf("requests = %v", got)
	}
	if _, err := scriptRequests(scriptOutput, []device{{EID: "33"}}); err == nil {
		t.Fatal("a device whose script never finished was accepted")
	}
}

func TestTimedLinesNoteWhenEachLineIsComplete(t *testing.T) {
	var out timedLines
	_, _ = out.Write([]byte("first li"))
	_, _ = out.Write([]byte("ne\nsecond\nthi"))
	if len(out.lines) != 2 || out.lines[0].text != "first line" || out.lines[1].text != "second" {
		t.Fatalf("lines = %+v", out.lines)
	}
	if out.all.String() != "first line\nsecond\nthi" {
		t.Fatalf("all = %q", out.all.String())
	}
}
