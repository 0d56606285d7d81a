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
	if !got["22"].Equal(start.Add(2*time.Millisecond)) || !got["11"].Equal(start.Add(4*time.Millisecond)) {
		t.Fatalf("creations = %+v", got)
	}
	if _, err := creations(r, []device{{EID: "11"}, {EID: "22"}, {EID: "33"}}); err == nil {
		t.Fatal("a device without a creation was accepted")
	}
	if _, err := creations(r, []device{{EID: "11"}}); err == nil {
		t.Fatal("a creation of a device that was not configured was accepted")
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
