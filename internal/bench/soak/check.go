package main

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/simulator"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// problemKind sorts what a check found wrong; every kind fails the soak.
type problemKind string

const (
	problemDuplicate  problemKind = "action sent twice"
	problemUnasked    problemKind = "action sent that was not asked for"
	problemMissing    problemKind = "action missing"
	problemFailure    problemKind = "unexpected failure"
	problemDiagnostic problemKind = "diagnostic without the expected text"
	problemLost       problemKind = "callback lost"
)

type problem struct {
	kind problemKind
	text string
}

// commandResult is how one Terraform command ended.
type commandResult struct {
	failed bool
	output string // stdout and stderr
}

// cycleCheck is what one cycle sent and what was wrong with it.
type cycleCheck struct {
	enablesSent, disablesSent int
	// duplicates counts actions accepted more than once for one resource, and enables sent again
	// after their outcome was unknown.
	duplicates int
	problems   []problem
}

func (c *cycleCheck) add(kind problemKind, format string, args ...any) {
	if kind == problemDuplicate {
		c.duplicates++
	}
	c.problems = append(c.problems, problem{kind: kind, text: fmt.Sprintf(format, args...)})
}

// requestsOf counts what the simulator's log shows for one resource and one action.
type requestsOf struct {
	// named is how many requests arrived carrying the resource's devices, whatever the answer.
	// A request refused before the simulator read its body (a fault, an expired session) names
	// none.
	named int
	// accepted is how many of them ThingSpace acted on (it issued a requestId).
	accepted int
}

// isAction reports whether r is a request for profile action a.
func isAction(r simulator.RecordedRequest, a thingspace.ProfileAction) bool {
	return r.Endpoint == simulator.EndpointProfileAction && r.Action == string(a)
}

// countByResource attributes each request of action a to the resource whose devices it names.
func countByResource(log []simulator.RecordedRequest, a thingspace.ProfileAction, resources [][]device) []requestsOf {
	owner := map[string]int{}
	for i, devices := range resources {
		for _, d := range devices {
			owner[d.EID] = i
		}
	}
	counts := make([]requestsOf, len(resources))
	for _, r := range log {
		if !isAction(r, a) || len(r.EIDs) == 0 {
			continue
		}
		i, ok := owner[r.EIDs[0]]
		if !ok {
			continue
		}
		counts[i].named++
		if r.RequestID != "" {
			counts[i].accepted++
		}
	}
	return counts
}

// checkCycle compares what the simulator received and what Terraform said with what the plan asked
// for: each resource's enable at most once (exactly once when the apply succeeded), never again
// after an unknown outcome, a disable for each resource in state when disable_on_destroy is set,
// and a failed apply only for a fault that must fail it, saying what the table of expected
// diagnostics says.
func checkCycle(p cyclePlan, log []simulator.RecordedRequest, apply, destroy commandResult) cycleCheck {
	var c cycleCheck
	enables := countByResource(log, thingspace.ActionEnable, p.resources)
	disables := countByResource(log, thingspace.ActionDisable, p.resources)

	unknown := -1 // the resource whose enable had an unknown outcome
	switch {
	case apply.failed && !p.kind.failsApply():
		c.add(problemFailure, "apply failed: %s", errorSummaries(apply.output))
	case !apply.failed && p.kind.failsApply():
		c.add(problemFailure, "apply succeeded, but %q must fail it", p.kind)
	case apply.failed:
		c.checkDiagnostics(p, apply.output)
		if p.kind.outcomeUnknown() {
			if unknown = resourceNamedUnknown(apply.output, p.resources); unknown < 0 {
				c.add(problemDiagnostic, "the %q error names no resource's devices", outcomeUnknownSummary)
			}
		}
	}

	for i, e := range enables {
		c.enablesSent += e.accepted
		switch {
		case i == unknown:
			// The request whose answer was lost is logged with the devices only when the
			// simulator handled it (dropped after handling); any other request is a re-send.
			handled := 0
			if p.kind == kindDropAfter {
				handled = 1
			}
			if e.named > handled {
				c.add(problemDuplicate, "r%d: enable sent again after its outcome was unknown (%d requests named its devices)", i, e.named)
			}
		case e.accepted > 1:
			c.add(problemDuplicate, "r%d: enable accepted %d times", i, e.accepted)
		case e.accepted == 0 && !apply.failed:
			c.add(problemMissing, "r%d: no enable accepted, although the apply succeeded", i)
		}
	}

	if destroy.failed {
		c.add(problemFailure, "destroy failed: %s", errorSummaries(destroy.output))
	}
	for i, d := range disables {
		c.disablesSent += d.accepted
		// A resource is in state when its enable answered with a requestId: the unknown one never
		// did, whether or not ThingSpace acted on it.
		inState := enables[i].accepted > 0 && i != unknown
		want := 0
		if p.disableOnDestroy && inState {
			want = 1
		}
		switch {
		case d.accepted > 1:
			c.add(problemDuplicate, "r%d: disable accepted %d times", i, d.accepted)
		case d.accepted > want:
			c.add(problemUnasked, "r%d: disable sent, but disable_on_destroy is %t and the resource in state is %t", i, p.disableOnDestroy, inState)
		case d.accepted < want && !destroy.failed:
			c.add(problemMissing, "r%d: no disable accepted, although disable_on_destroy is set and the destroy succeeded", i)
		}
	}
	return c
}

// checkDiagnostics holds a failed apply's output against the table of expected diagnostics.
func (c *cycleCheck) checkDiagnostics(p cyclePlan, output string) {
	text := normalizeOutput(output)
	for _, want := range expectedTexts(p.kind, p.failing) {
		if !strings.Contains(text, want) {
			c.add(problemDiagnostic, "the apply's errors do not say %q: %s", want, errorSummaries(output))
		}
	}
	if got, want := countErrors(output), expectedErrors(p.kind, p.failing); got != want {
		c.add(problemDiagnostic, "the apply reported %d errors, %d expected: %s", got, want, errorSummaries(output))
	}
}

// errorLine matches the first line of an error diagnostic as Terraform prints it without colour,
// framed ("│ Error: ...") or not, as it does when its output is not a terminal.
var errorLine = regexp.MustCompile(`(?m)^(?:│ )?Error: (.*)$`)

// countErrors counts the error diagnostics in Terraform's output.
func countErrors(output string) int { return len(errorLine.FindAllString(output, -1)) }

// errorSummaries lists the summaries of Terraform's errors, for a one-line problem report.
func errorSummaries(output string) string {
	var summaries []string
	for _, m := range errorLine.FindAllStringSubmatch(output, -1) {
		summaries = append(summaries, m[1])
	}
	if len(summaries) == 0 {
		return "no error diagnostic; output ends: " + lastLine(output)
	}
	return strings.Join(summaries, "; ")
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// normalizeOutput undoes Terraform's diagnostic layout: the box-drawing margin and the word
// wrapping at the terminal width, so expected phrases can be matched whatever the width.
func normalizeOutput(output string) string {
	var words []string
	for _, line := range strings.Split(output, "\n") {
		line = strings.TrimLeft(line, "│╷╵ ")
		words = append(words, strings.Fields(line)...)
	}
	return strings.Join(words, " ")
}

// listedEID matches a device line of the outcome-unknown error: "- EID <eid> (ICCID <iccid>)".
var listedEID = regexp.MustCompile(`- EID (\d+) \(ICCID`)

// resourceNamedUnknown is the resource whose devices the outcome-unknown error lists, or -1 when
// it lists none of them or several resources' devices.
func resourceNamedUnknown(output string, resources [][]device) int {
	text := normalizeOutput(output)
	start := strings.Index(text, outcomeUnknownSummary)
	if start < 0 {
		return -1
	}
	text = text[start:]
	if end := strings.Index(text[1:], "Error: "); end >= 0 {
		text = text[:end+1]
	}
	found := -1
	for _, m := range listedEID.FindAllStringSubmatch(text, -1) {
		for i, devices := range resources {
			for _, d := range devices {
				if d.EID != m[1] {
					continue
				}
				if found >= 0 && found != i {
					return -1
				}
				found = i
			}
		}
	}
	return found
}

// deliveryKey names one device's final answer to one request.
type deliveryKey struct{ requestID, eid string }

// finalDeliveries are the final callbacks the relay acknowledged (2xx), one per request and
// device, with their outcome, minus those already verified.
func finalDeliveries(deliveries []simulator.Delivery, verified map[deliveryKey]bool) map[deliveryKey]thingspace.Outcome {
	out := map[deliveryKey]thingspace.Outcome{}
	for _, d := range deliveries {
		outcome := (&thingspace.Callback{Status: d.Status}).Outcome()
		key := deliveryKey{d.RequestID, d.EID}
		if d.ListenerStatus/100 == 2 && outcome.Final() && !verified[key] {
			out[key] = outcome
		}
	}
	return out
}
