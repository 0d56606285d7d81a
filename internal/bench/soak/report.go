package main

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/terraformcmd"
)

// kindUnits says what the "took effect" column counts for each kind.
var kindUnits = map[faultKind]string{
	kindThrottled:           "requests answered 429",
	kindThrottledRetryAfter: "requests answered 429",
	kindUnavailable:         "requests answered 503",
	kindServerError:         "requests answered 500",
	kindBadGateway:          "requests answered 502",
	kindGatewayTimeout:      "requests answered 504",
	kindDropBefore:          "connections dropped",
	kindDropAfter:           "connections dropped",
	kindSessionExpired:      "enables refused, session renewed",
	kindBearerRevoked:       "enables refused, token renewed",
	kindDuplicates:          "devices",
	kindPascal:              "devices",
	kindAlternate:           "devices",
	kindWarnings:            "devices",
	kindDeviceFailure:       "failed devices",
	kindRelayRestart:        "restarts",
}

// machine is what the soak ran on.
type machine struct {
	date, terraform, goVersion string
	cores                      int
}

func describeMachine(ctx context.Context, t terraform) (machine, error) {
	version, err := terraformcmd.Version(ctx, t.path)
	return machine{date: time.Now().UTC().Format("2006-01-02"), terraform: version, goVersion: runtime.Version(),
		cores: runtime.NumCPU()}, err
}

// kindTally is what the cycles of one kind did.
type kindTally struct {
	cycles, tookEffect           int
	expectedFailures, unexpected int
}

// tally adds up the cycles.
type tally struct {
	seed                      uint64
	applies, destroys         int
	enables, disables         int
	duplicates, callbacksLost int
	callbacksChecked          int
	byKind                    map[faultKind]*kindTally
	problems                  []string
	wall                      time.Duration
}

func newTally(seed uint64) *tally {
	t := &tally{seed: seed, byKind: map[faultKind]*kindTally{}}
	for _, k := range allKinds {
		t.byKind[k] = &kindTally{}
	}
	return t
}

func (t *tally) add(o *cycleOutcome) {
	t.applies++
	t.destroys += o.destroys
	t.enables += o.check.enablesSent
	t.disables += o.check.disablesSent
	k := t.byKind[o.plan.kind]
	k.cycles++
	k.tookEffect += o.injected
	switch {
	case o.applyFailed && o.plan.kind.failsApply():
		k.expectedFailures++
	case o.applyFailed:
		k.unexpected++
	}
	t.record(fmt.Sprintf("cycle %d (%s)", o.plan.number, o.plan.kind), o.check)
}

// addFinal records the last sweep of callbacks, after the cycles.
func (t *tally) addFinal(c cycleCheck) { t.record("after the last cycle", c) }

func (t *tally) record(where string, c cycleCheck) {
	t.duplicates += c.duplicates
	for _, p := range c.problems {
		if p.kind == problemLost {
			t.callbacksLost++
		}
		t.problems = append(t.problems, fmt.Sprintf("%s: %s: %s", where, p.kind, p.text))
	}
}

func (t *tally) problemCount() int { return len(t.problems) }

func (t *tally) failedApplies() (expected, unexpected int) {
	for _, k := range t.byKind {
		expected += k.expectedFailures
		unexpected += k.unexpected
	}
	return expected, unexpected
}

// line is one cycle's progress line.
func (o *cycleOutcome) line() string {
	p := o.plan
	result := "apply ok"
	if o.applyFailed {
		result = "apply failed"
	}
	if !o.destroyed {
		result += ", destroy failed"
	}
	verdict := "ok"
	if len(o.check.problems) > 0 {
		var texts []string
		for _, pr := range o.check.problems {
			texts = append(texts, string(pr.kind)+": "+pr.text)
		}
		verdict = "PROBLEM: " + strings.Join(texts, " | ")
	}
	return fmt.Sprintf("cycle %3d %-32s %d resources, %d devices, disable_on_destroy=%-5t %s; sent %d enable, %d disable: %s",
		p.number, p.kind, len(p.resources), len(p.devices()), p.disableOnDestroy, result, o.check.enablesSent, o.check.disablesSent, verdict)
}

// tookEffect is "3 (devices)", or "-" for the cycles without a disturbance.
func tookEffect(k faultKind, n int) string {
	if k == kindNone {
		return "-"
	}
	return fmt.Sprintf("%d (%s)", n, kindUnits[k])
}

func mustBeZero(n int) string {
	if n == 0 {
		return "0 (met)"
	}
	return fmt.Sprintf("**%d** (must be 0)", n)
}

func renderSection(m machine, t *tally) string {
	var b strings.Builder
	b.WriteString("## Soak (`make soak`)\n\n")
	fmt.Fprintf(&b, "Run %s on %d cores, %s, %s, seed %d: %d apply + destroy cycles in %s (%.1f s per cycle).\n\n",
		m.date, m.cores, m.terraform, m.goVersion, t.seed, t.applies, t.wall.Round(time.Second), t.wall.Seconds()/float64(max(t.applies, 1)))
	expected, unexpected := t.failedApplies()
	b.WriteString("| figure | measured |\n|---|---|\n")
	rows := [][2]string{
		{"applies run / destroys run", fmt.Sprintf("%d / %d", t.applies, t.destroys)},
		{"actions sent (accepted by ThingSpace): enable / disable", fmt.Sprintf("%d / %d", t.enables, t.disables)},
		{"duplicates sent (an action accepted twice, or sent again after its outcome was unknown)", mustBeZero(t.duplicates)},
		{"final callbacks the relay acknowledged, read back", fmt.Sprint(t.callbacksChecked)},
		{"callbacks lost (acknowledged, not stored)", mustBeZero(t.callbacksLost)},
		{"applies failed: expected for the fault / unexpected", fmt.Sprintf("%d / %s", expected, mustBeZero(unexpected))},
		{"problems of any kind (see below)", mustBeZero(len(t.problems))},
	}
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s |\n", r[0], r[1])
	}
	b.WriteString("\n| fault (one per cycle) | cycles | took effect | applies failed: expected / unexpected | a failed apply must say |\n|---|---|---|---|---|\n")
	for _, k := range allKinds {
		kt := t.byKind[k]
		said := "- (must succeed)"
		if k.failsApply() {
			said = "\"" + strings.Join(expectedTexts(k, []string{"<EID>"}), "\"; \"") + "\""
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %d / %d | %s |\n", k, kt.cycles, tookEffect(k, kt.tookEffect),
			kt.expectedFailures, kt.unexpected, strings.ReplaceAll(said, "|", "\\|"))
	}
	if len(t.problems) > 0 {
		b.WriteString("\nProblems found:\n\n")
		for _, p := range t.problems {
			fmt.Fprintf(&b, "- %s\n", p)
		}
	}
	b.WriteString(soakNotes)
	return b.String()
}

const soakNotes = `
How it works: one simulator and one relay (SQLite) run in the soak's process for the whole run; the
provider is built once and installed from a filesystem mirror. Each cycle writes 1 to 3
` + "`thingspace_euicc_profile_enablement`" + ` resources of 1 or 2 new devices (at most 5), devices answering
after 10 to 60 ms, ` + "`disable_on_destroy`" + ` drawn at random, then runs ` + "`terraform apply`" + ` and
` + "`terraform destroy`" + ` with one disturbance. Faults on the enable disturb one request (429 and 503: one or
two). The session and the bearer are ended, and the relay stopped for 1 to 2 s, once ThingSpace has
accepted the cycle's first enable; those cycles use ` + "`-parallelism=1`" + ` (auth) or devices answering after
0.3 to 0.8 s (relay), so the disturbance falls into the run. The provider keeps its production retry
delays (ThingSpace 1 s to 30 s, relay 250 ms to 5 s).

The checks, after each cycle: from the simulator's request log, each resource's enable is accepted at most
once (exactly once when the apply succeeded), and never sent again after an outcome-unknown error names
its devices; a disable is accepted exactly once for each resource in state when ` + "`disable_on_destroy`" + `
is set, and never otherwise. A failed apply must belong to a fault that fails it and its output must hold
the texts above (for a device failure, once per failed device) and no other error. Every final callback
the relay answered 2xx to is read back through the relay's read API. Any miss fails the run.

Re-run: ` + "`make soak`" + ` (about 15 minutes), or ` + "`go run ./internal/bench/soak -terraform \"$(command -v terraform)\" -out BENCHMARKS.md`" + `;
` + "`SOAKARGS='-seed N'`" + ` replays a run's cycles, ` + "`-applies`" + ` and ` + "`-duration`" + ` bound it, ` + "`-keep`" + ` keeps the
working directory.
`
