package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/localprovider"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/relay"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/terraformcmd"
)

// The targets, at N = targetN.
const (
	targetN           = 500
	targetLowerBound  = 1.15
	targetOverheadP50 = 50 * time.Millisecond
	targetPlanRatio   = 1.5
	// targetEqualStatePlanRatio compares the plan with Terraform's own cost for the same state.
	targetEqualStatePlanRatio = 1.3
	targetRelayReadsPer       = 2 // relay reads per resource, at most
)

// machine is what the figures were measured on.
type machine struct {
	date, cpu, terraform, curl, goVersion string
	cores                                 int
	duration                              time.Duration
	loadBefore, loadAfter                 string
}

func describeMachine(ctx context.Context, t *terraform, curl string) (*machine, error) {
	tfVersion, err := terraformcmd.Version(ctx, t.path)
	if err != nil {
		return nil, err
	}
	m := &machine{date: time.Now().UTC().Format("2006-01-02"), cores: runtime.NumCPU(), terraform: tfVersion,
		goVersion: runtime.Version(), cpu: cpuModel(), loadBefore: loadAverage()}
	if out, err := exec.CommandContext(ctx, curl, "--version").Output(); err == nil {
		m.curl = strings.Join(strings.Fields(strings.SplitN(string(out), "\n", 2)[0])[:2], " ")
	}
	return m, nil
}

// loadAverage is the 1-minute load average, to tell a quiet machine from a busy one.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if fields := strings.Fields(string(data)); err == nil && len(fields) > 0 {
		return fields[0]
	}
	return "unknown"
}

func cpuModel() string {
	info, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(info), "\n") {
		if name, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
		}
	}
	return "unknown CPU"
}

// percentile is the nearest-rank percentile p (0..100) of ds; 0 for none.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	rank := int(float64(len(sorted))*p/100+0.999999) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}

func ratio(a, b time.Duration) float64 { return a.Seconds() / b.Seconds() }

func msec(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

func mib(kib int64) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }

// providerPeak is the provider's peak memory, or says that no provider process lived long
// enough to be sampled.
func providerPeak(r *run) string {
	if r.usage.providerPeakKiB == 0 {
		return "not sampled (too short)"
	}
	return mib(r.usage.providerPeakKiB)
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

func overheadText(ds []time.Duration) string {
	return fmt.Sprintf("%s / %s / %s", msec(percentile(ds, 50)), msec(percentile(ds, 90)), msec(percentile(ds, 100)))
}

// sized is a result measured for one number of devices, N.
type sized interface{ size() int }

func (r *sizeResult) size() int       { return r.n }
func (r *deviceListResult) size() int { return r.n }
func (r *fleetResult) size() int      { return r.n }

// table writes a markdown table: one row per figure, one column per N.
type table[R sized] struct {
	b       *strings.Builder
	results []R
}

func (t table[R]) header(first string) {
	fmt.Fprintf(t.b, "| %s |", first)
	for _, r := range t.results {
		fmt.Fprintf(t.b, " N = %d |", r.size())
	}
	t.b.WriteString("\n|---|" + strings.Repeat("---|", len(t.results)) + "\n")
}

func (t table[R]) row(name string, cell func(R) string) {
	fmt.Fprintf(t.b, "| %s |", name)
	for _, r := range t.results {
		fmt.Fprintf(t.b, " %s |", cell(r))
	}
	t.b.WriteString("\n")
}

// measured is the sentence that opens a section: when and on what it was measured.
func (m *machine) measured(b *strings.Builder) {
	fmt.Fprintf(b, "Measured %s on %d cores (%s), %s, %s; the whole run took %s. Load average (1 min) %s before "+
		"the run and %s after.\n\n", m.date, m.cores, m.cpu, m.terraform, m.goVersion, m.duration.Round(time.Second),
		m.loadBefore, m.loadAfter)
}

func renderSection(m *machine, results []*sizeResult) string {
	var b strings.Builder
	b.WriteString("## End to end (`make bench`)\n\n")
	fmt.Fprintf(&b, "Measured %s on %d cores (%s), %s, %s, %s; the whole run took %s. Load average "+
		"(1 min) %s before the run and %s after: other work on the machine slows wall times, so CPU times are "+
		"given too.\n\n", m.date, m.cores, m.cpu, m.terraform, m.goVersion, m.curl, m.duration.Round(time.Second),
		m.loadBefore, m.loadAfter)
	fmt.Fprintf(&b, "Every N gets a fresh simulator and relay (in the benchmark process, on loopback; relay on SQLite "+
		"in a temporary directory) and new devices (valid GSMA EIDs and Luhn ICCIDs). Every device answers with a "+
		"success callback %s after the enable request; the simulator may send %d callbacks at once, so neither it nor "+
		"the relay is the bottleneck. Every `apply` and `plan` runs with `-parallelism=%d`; the provider is built "+
		"once and installed by `terraform init` from a filesystem mirror, as users install it.\n\n",
		callbackDelay, maxDeliveries, parallelism)
	if r := find(results, targetN); r != nil {
		renderTargets(&b, r)
	}
	t := table[*sizeResult]{b: &b, results: results}
	b.WriteString("### The provider: N `thingspace_euicc_profile_enablement` resources, one device each\n\n")
	renderProvider(t)
	b.WriteString("\n### What users write today: N `terraform_data` resources running a curl script\n\n")
	renderScript(t)
	b.WriteString(methodNotes())
	return b.String()
}

func find(results []*sizeResult, n int) *sizeResult {
	for _, r := range results {
		if r.n == n {
			return r
		}
	}
	return nil
}

func renderTargets(b *strings.Builder, r *sizeResult) {
	fmt.Fprintf(b, "### Targets at N = %d\n\n| figure | target | measured | |\n|---|---|---|---|\n", r.n)
	lb := ratio(r.provider.elapsed, r.lowerBound())
	p50 := percentile(r.provider.overhead, 50)
	c := r.provider.counts
	plan, dataPlan, equalStatePlan := r.providerPlan(), r.dataPlan(), r.equalStatePlan()
	planRatio, equalStateRatio := ratio(plan.elapsed, dataPlan.elapsed), ratio(plan.elapsed, equalStatePlan.elapsed)
	rows := []struct {
		name, target, got string
		ok                bool
	}{
		{"apply / lower bound", fmt.Sprintf("<= %.2f", targetLowerBound), fmt.Sprintf("%.3f (%s / %s)", lb, secs(r.provider.elapsed), secs(r.lowerBound())), lb <= targetLowerBound},
		{"completion overhead p50", "<= " + msec(targetOverheadP50), msec(p50), p50 <= targetOverheadP50 && len(r.provider.overhead) == r.n},
		{"token requests per apply", "1", fmt.Sprint(c.Token), c.Token == 1},
		{"logins per apply", "1", fmt.Sprint(c.Login), c.Login == 1},
		{"enable requests", fmt.Sprint(r.n), fmt.Sprint(c.Enable), c.Enable == r.n},
		{"relay reads (apply)", fmt.Sprintf("<= %d", targetRelayReadsPer*r.n), fmt.Sprint(c.RelayReads), c.RelayReads <= targetRelayReadsPer*r.n},
		{"plan / `terraform_data` plan (wall)", fmt.Sprintf("<= %.1f", targetPlanRatio), fmt.Sprintf("%.2f (%s / %s; CPU %.2f)",
			planRatio, secs(plan.elapsed), secs(dataPlan.elapsed), ratio(plan.cpu, dataPlan.cpu)), planRatio <= targetPlanRatio},
		{"plan / equal-state `terraform_data` plan (wall)", fmt.Sprintf("<= %.1f", targetEqualStatePlanRatio), fmt.Sprintf("%.2f (%s / %s; CPU %.2f)",
			equalStateRatio, secs(plan.elapsed), secs(equalStatePlan.elapsed), ratio(plan.cpu, equalStatePlan.cpu)), equalStateRatio <= targetEqualStatePlanRatio},
	}
	for _, row := range rows {
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", row.name, row.target, row.got, verdict(row.ok))
	}
	explainPlan(b, r)
	fmt.Fprintf(b, "\nThe shell script took **%.2f×** as long as the provider (%s against %s), with %d token requests, "+
		"%d logins and %d relay reads.\n\n", ratio(r.script.elapsed, r.provider.elapsed), secs(r.script.elapsed),
		secs(r.provider.elapsed), r.script.counts.Token, r.script.counts.Login, r.script.counts.RelayReads)
}

// explainPlan says where a plan's time goes, from the CPU split against the two terraform_data
// plans: what Terraform pays for the state's size, and what the provider adds.
func explainPlan(b *strings.Builder, r *sizeResult) {
	plan, dataPlan, equalStatePlan := r.providerPlan(), r.dataPlan(), r.equalStatePlan()
	tfCPU := plan.cpu - plan.usage.providerCPU
	fmt.Fprintf(b, "\nWhere the plan's CPU goes (%d cores): Terraform itself used %s for the %d enablements, against %s for "+
		"the equal-state `terraform_data` plan (%.2f×) and %s for the plain one (%.2f×); the provider processes used "+
		"another %s (%s per resource). The plain `terraform_data` resources hold two strings each, ours the state "+
		"the schema defines (per device 13 `results` attributes, the `devices` list, `timeouts`), so the equal-state "+
		"plan is what Terraform itself pays for that much state.\n", runtime.NumCPU(), secs(tfCPU), r.n, secs(equalStatePlan.cpu),
		ratio(tfCPU, equalStatePlan.cpu), secs(dataPlan.cpu), ratio(tfCPU, dataPlan.cpu), secs(plan.usage.providerCPU),
		perResource(plan.usage.providerCPU, r.n))
}

// perResource is d shared out over n resources, in milliseconds.
func perResource(d time.Duration, n int) string { return msec(d / time.Duration(n)) }

// wallCPU is "12.34 s (CPU 5.67 s)".
func wallCPU(r *run) string { return fmt.Sprintf("%s (CPU %s)", secs(r.elapsed), secs(r.cpu)) }

func renderProvider(t table[*sizeResult]) {
	t.header("figure")
	t.row("apply wall time (CPU of Terraform + provider)", func(r *sizeResult) string { return wallCPU(r.provider.run) })
	t.row("`terraform_data` apply, same N", func(r *sizeResult) string { return wallCPU(r.dataApply) })
	t.row(fmt.Sprintf("lower bound: ceil(N/%d) × %s + `terraform_data` apply", parallelism, callbackDelay),
		func(r *sizeResult) string { return secs(r.lowerBound()) })
	t.row("apply / lower bound", func(r *sizeResult) string { return fmt.Sprintf("%.3f", ratio(r.provider.elapsed, r.lowerBound())) })
	t.row("completion overhead (relay stored the final callback → Terraform recorded the resource) p50 / p90 / max", func(r *sizeResult) string { return overheadText(r.provider.overhead) })
	t.row("of which relay stored → relay sent the long-poll answer carrying it, p50 / p90 / max", func(r *sizeResult) string { return overheadText(r.provider.wake) })
	t.row("last final callback stored → apply returned", func(r *sizeResult) string { return msec(r.provider.tail) })
	t.row("simulator: token / login / enable / other", func(r *sizeResult) string { return countsText(r.provider.counts) })
	t.row("relay: reads (`GET /v1/requests/…`) / callbacks received", func(r *sizeResult) string { return relayText(r.provider.counts) })
	t.row("provider peak memory (VmHWM)", func(r *sizeResult) string { return providerPeak(r.provider.run) })
	t.row("CPU: Terraform / provider", func(r *sizeResult) string { return cpuSplit(r.provider.run) })
	t.row(fmt.Sprintf("plan (refresh), median of %d", planRounds), func(r *sizeResult) string { return wallCPU(r.providerPlan()) })
	t.row(fmt.Sprintf("`terraform_data` plan, median of %d", planRounds), func(r *sizeResult) string { return wallCPU(r.dataPlan()) })
	t.row(fmt.Sprintf("equal-state `terraform_data` plan, median of %d", planRounds), func(r *sizeResult) string { return wallCPU(r.equalStatePlan()) })
	t.row("plan / `terraform_data` plan: wall (CPU)", func(r *sizeResult) string { return planRatios(r.providerPlan(), r.dataPlan()) })
	t.row("plan / equal-state `terraform_data` plan: wall (CPU)", func(r *sizeResult) string {
		return planRatios(r.providerPlan(), r.equalStatePlan())
	})
	t.row("plan: relay reads / simulator requests", func(r *sizeResult) string {
		c := r.planCounts
		return fmt.Sprintf("%d / %d", c.RelayReads, c.Token+c.Login+c.Enable+c.Other)
	})
	t.row("plan: CPU of Terraform / provider", func(r *sizeResult) string { return cpuSplit(r.providerPlan()) })
	t.row("plan: provider CPU per resource", func(r *sizeResult) string { return perResource(r.providerPlan().usage.providerCPU, r.n) })
	t.row("plan: provider peak memory (VmHWM)", func(r *sizeResult) string { return providerPeak(r.providerPlan()) })
}

func planRatios(plan, other *run) string {
	return fmt.Sprintf("%.2f (%.2f)", ratio(plan.elapsed, other.elapsed), ratio(plan.cpu, other.cpu))
}

// cpuSplit is the CPU time of Terraform itself and of the provider processes it started.
func cpuSplit(r *run) string {
	return fmt.Sprintf("%s / %s", secs(r.cpu-r.usage.providerCPU), secs(r.usage.providerCPU))
}

func relayText(c counts) string { return fmt.Sprintf("%d / %d", c.RelayReads, c.RelayCallbacks) }

func renderScript(t table[*sizeResult]) {
	t.header("figure")
	t.row("apply wall time (CPU of Terraform + scripts)", func(r *sizeResult) string { return wallCPU(r.script.run) })
	t.row("apply / lower bound", func(r *sizeResult) string { return fmt.Sprintf("%.3f", ratio(r.script.elapsed, r.lowerBound())) })
	t.row("**script / provider apply**", func(r *sizeResult) string {
		return fmt.Sprintf("**%.2f**", ratio(r.script.elapsed, r.provider.elapsed))
	})
	t.row("completion overhead (relay stored the final callback → Terraform recorded the resource) p50 / p90 / max", func(r *sizeResult) string { return overheadText(r.script.overhead) })
	t.row("last final callback stored → apply returned", func(r *sizeResult) string { return msec(r.script.tail) })
	t.row("simulator: token / login / enable / other", func(r *sizeResult) string { return countsText(r.script.counts) })
	t.row("relay: reads / callbacks received", func(r *sizeResult) string { return relayText(r.script.counts) })
	t.row("peak memory of the script processes: sum of VmRSS (of RssAnon)", func(r *sizeResult) string {
		return fmt.Sprintf("%s (%s)", mib(r.script.usage.treePeakKiB), mib(r.script.usage.treeAnonPeakKiB))
	})
}

func countsText(c counts) string {
	return fmt.Sprintf("%d / %d / %d / %d", c.Token, c.Login, c.Enable, c.Other)
}

// methodNotes says how each figure is taken and how to re-run.
func methodNotes() string {
	code := func(s string) string { return "`" + s + "`" }
	return fmt.Sprintf(`
How each figure is taken:

- **Wall time**: from starting %s (or %s) to its exit, its own planning included, after %s.
  The simulator and the relay run in the benchmark process and share the same cores with Terraform.
- **Lower bound**: the devices' answer time plus the whole %s apply of N resources.
  Part of Terraform's own work overlaps with the waits, so an apply can come in slightly under it.
- **Completion overhead**: per resource, from the moment the relay stored its device's final callback (the relay's
  %s, read back from %s after the counts are taken) to the moment Terraform printed that
  resource's "Creation complete" line, which it prints once it has recorded the resource; the benchmark notes when each
  line of Terraform's output arrives. For the provider, "of which" is the part until the relay's answer carrying that
  callback left the relay for the provider's long-poll: the relay serves on a listener of the benchmark that keeps what
  each connection read and wrote, with the time of every write, and the answers to %s are parsed from it
  afterwards. "Last final callback stored → apply returned" is the whole tail of the apply. No provider log is read, and
  the apply runs without logging; the same definition applies to the script.
- **Requests**: the simulator's request log and the relay's %s (routes %s and
  %s), read before and after each command.
- **CPU**: user + system time of Terraform and every process it started (rusage at exit); the provider's share is read
  from /proc while it runs.
- **Memory**: /proc is scanned for Terraform's descendants every %s (every %s during a command's first %s). The provider figure is the largest VmHWM of a
  %s process (Terraform starts several per command: schema, validation, plan, apply); the
  script figure is the largest sum, at one instant, of VmRSS (shared libraries counted once per process) and of RssAnon
  (private memory) of its %s, %s and %s processes.
- **Plan**: %s after the apply, alternating with the %s plan and the equal-state one, %d
  times each; the median is reported. Each must find no change. The provider sends nothing to ThingSpace, and reads the
  relay only for enablements still waiting for a device (none here: a finished enablement cannot change). The
  equal-state %s resources have as %s, per resource, the attributes the provider's apply stored for
  that resource (read from its state file): the cost Terraform itself pays for that much state.
- The script (%s) gets a token, logs in, sends the enable request, then reads the relay every
  5 s until the final callback: one device per resource, as users write it.

The relay's own figures (ingest, wake-up, memory) are in the Relay section of this file (%s).

Re-run: %s (about 4 minutes), or %s from the repository root; %s for a quicker run, %s to keep the configurations, state and logs.
`, code("terraform apply -auto-approve"), code("plan"), code("terraform init"), code("terraform_data"), code("receivedAt"),
		code("GET /v1/requests/{id}"), code("GET /v1/requests/{id}"),
		code("thingspace_relay_http_requests_total"), code(relay.RouteRequests), code(relay.RouteCallbacks), sampleInterval, quickInterval, quickSampling, code(localprovider.Binary),
		code("sh"), code("curl"), code("sleep"), code("terraform plan -detailed-exitcode"), code("terraform_data"), planRounds,
		code("terraform_data"), code("input"), code("internal/bench/e2e/enable.sh"), code("make bench-relay"), code("make bench"),
		code(`go run ./internal/bench/e2e -terraform "$(command -v terraform)" -out BENCHMARKS.md`),
		code("-sizes 1,100"), code("-keep"))
}
