package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/localprovider"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/relay"
)

// Targets of issue 5 for N = targetN.
const (
	targetN             = 500
	targetLowerBound    = 1.15
	targetOverheadP50   = 50 * time.Millisecond
	targetPlanRatio     = 1.5
	targetRelayReadsPer = 2 // relay reads per resource, at most
)

// machine is what the figures were measured on.
type machine struct {
	date, cpu, terraform, curl, goVersion string
	cores                                 int
	duration                              time.Duration
	loadBefore, loadAfter                 string
}

func describeMachine(ctx context.Context, t *terraform, curl string) (*machine, error) {
	tfVersion, err := t.version(ctx)
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

// table writes a markdown table: one row per figure, one column per N.
type table struct {
	b       *strings.Builder
	results []*sizeResult
}

func (t table) header(first string) {
	fmt.Fprintf(t.b, "| %s |", first)
	for _, r := range t.results {
		fmt.Fprintf(t.b, " N = %d |", r.n)
	}
	t.b.WriteString("\n|---|" + strings.Repeat("---|", len(t.results)) + "\n")
}

func (t table) row(name string, cell func(*sizeResult) string) {
	fmt.Fprintf(t.b, "| %s |", name)
	for _, r := range t.results {
		fmt.Fprintf(t.b, " %s |", cell(r))
	}
	t.b.WriteString("\n")
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
	t := table{b: &b, results: results}
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
	plan, dataPlan := r.providerPlan(), r.dataPlan()
	planRatio := ratio(plan.elapsed, dataPlan.elapsed)
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
	}
	for _, row := range rows {
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", row.name, row.target, row.got, verdict(row.ok))
	}
	if planRatio > targetPlanRatio {
		explainPlan(b, plan, dataPlan)
	}
	fmt.Fprintf(b, "\nThe shell script took **%.2f×** as long as the provider (%s against %s), with %d token requests, "+
		"%d logins and %d relay reads.\n\n", ratio(r.script.elapsed, r.provider.elapsed), secs(r.script.elapsed),
		secs(r.provider.elapsed), r.script.counts.Token, r.script.counts.Login, r.script.counts.RelayReads)
}

// explainPlan says where a plan's time goes when it misses its target, from the CPU split.
func explainPlan(b *strings.Builder, plan, dataPlan *run) {
	tfCPU := plan.cpu - plan.usage.providerCPU
	fmt.Fprintf(b, "\nWhy the plan misses its target: refreshing and planning N enablements is CPU-bound on %d cores. "+
		"Terraform itself used %s of CPU for it, %.1f× the %s that the whole `terraform_data` plan took, before any "+
		"provider work; the provider processes used another %s. Both costs grow with the size of each resource's "+
		"schema and state (per device 13 `results` attributes, the `devices` list, `timeouts`), which is contract: "+
		"Terraform's share alone rules out the target, whatever the provider does.\n", runtime.NumCPU(), secs(tfCPU), ratio(tfCPU, dataPlan.cpu), secs(dataPlan.cpu),
		secs(plan.usage.providerCPU))
}

// wallCPU is "12.34 s (CPU 5.67 s)".
func wallCPU(r *run) string { return fmt.Sprintf("%s (CPU %s)", secs(r.elapsed), secs(r.cpu)) }

func renderProvider(t table) {
	t.header("figure")
	t.row("apply wall time (CPU of Terraform + provider)", func(r *sizeResult) string { return wallCPU(r.provider.run) })
	t.row("`terraform_data` apply, same N", func(r *sizeResult) string { return wallCPU(r.dataApply) })
	t.row(fmt.Sprintf("lower bound: ceil(N/%d) × %s + `terraform_data` apply", parallelism, callbackDelay),
		func(r *sizeResult) string { return secs(r.lowerBound()) })
	t.row("apply / lower bound", func(r *sizeResult) string { return fmt.Sprintf("%.3f", ratio(r.provider.elapsed, r.lowerBound())) })
	t.row("completion overhead p50 / p90 / max", func(r *sizeResult) string { return overheadText(r.provider.overhead) })
	t.row("of which relay → provider (long-poll answer) p50 / p90 / max", func(r *sizeResult) string { return overheadText(r.provider.wake) })
	t.row("simulator: token / login / enable / other", func(r *sizeResult) string { return countsText(r.provider.counts) })
	t.row("relay: reads (`GET /v1/requests/…`) / callbacks received", func(r *sizeResult) string { return relayText(r.provider.counts) })
	t.row("provider peak memory (VmHWM)", func(r *sizeResult) string { return providerPeak(r.provider.run) })
	t.row("CPU: Terraform / provider", func(r *sizeResult) string { return cpuSplit(r.provider.run) })
	t.row(fmt.Sprintf("plan (refresh), median of %d", planRounds), func(r *sizeResult) string { return wallCPU(r.providerPlan()) })
	t.row(fmt.Sprintf("`terraform_data` plan, median of %d", planRounds), func(r *sizeResult) string { return wallCPU(r.dataPlan()) })
	t.row("plan / `terraform_data` plan: wall (CPU)", func(r *sizeResult) string {
		p, d := r.providerPlan(), r.dataPlan()
		return fmt.Sprintf("%.2f (%.2f)", ratio(p.elapsed, d.elapsed), ratio(p.cpu, d.cpu))
	})
	t.row("plan: relay reads / simulator requests", func(r *sizeResult) string {
		c := r.planCounts
		return fmt.Sprintf("%d / %d", c.RelayReads, c.Token+c.Login+c.Enable+c.Other)
	})
	t.row("plan: CPU of Terraform / provider", func(r *sizeResult) string { return cpuSplit(r.providerPlan()) })
	t.row("plan: provider peak memory (VmHWM)", func(r *sizeResult) string { return providerPeak(r.providerPlan()) })
}

// cpuSplit is the CPU time of Terraform itself and of the provider processes it started.
func cpuSplit(r *run) string {
	return fmt.Sprintf("%s / %s", secs(r.cpu-r.usage.providerCPU), secs(r.usage.providerCPU))
}

func relayText(c counts) string { return fmt.Sprintf("%d / %d", c.RelayReads, c.RelayCallbacks) }

func renderScript(t table) {
	t.header("figure")
	t.row("apply wall time (CPU of Terraform + scripts)", func(r *sizeResult) string { return wallCPU(r.script.run) })
	t.row("apply / lower bound", func(r *sizeResult) string { return fmt.Sprintf("%.3f", ratio(r.script.elapsed, r.lowerBound())) })
	t.row("**script / provider apply**", func(r *sizeResult) string {
		return fmt.Sprintf("**%.2f**", ratio(r.script.elapsed, r.provider.elapsed))
	})
	t.row("completion overhead p50 / p90 / max", func(r *sizeResult) string { return overheadText(r.script.overhead) })
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
- **Lower bound**: as issue 5 defines it, the devices' answer time plus the whole %s apply of N resources.
  Part of Terraform's own work overlaps with the waits, so an apply can come in slightly under it.
- **Completion overhead**: per resource, from the moment the relay stored its device's final callback (the relay's
  %s) to the moment the resource returned. For the provider both come from its INFO log (%s, the only
  command run with logging): "Device reached a final state" (%s) and "Create finished" (%s). For the
  script, the end is the %s it prints as its last command, and the stored time is read back from the relay after the
  counts are taken.
- **Requests**: the simulator's request log and the relay's %s (routes %s and
  %s), read before and after each command.
- **CPU**: user + system time of Terraform and every process it started (rusage at exit); the provider's share is read
  from /proc while it runs.
- **Memory**: /proc is scanned for Terraform's descendants every %s (every %s during a command's first %s). The provider figure is the largest VmHWM of a
  %s process (Terraform starts several per command: schema, validation, plan, apply); the
  script figure is the largest sum, at one instant, of VmRSS (shared libraries counted once per process) and of RssAnon
  (private memory) of its %s, %s and %s processes.
- **Plan**: %s after the apply, alternating with the %s plan, %d times each; the
  median is reported. Each must find no change. The provider sends nothing to ThingSpace, and reads the relay only for
  enablements still waiting for a device (none here: a finished enablement cannot change).
- The script (%s) gets a token, logs in, sends the enable request, then reads the relay every
  5 s until the final callback: one device per resource, as users write it.

The relay's own figures (ingest, wake-up, memory) are in the Relay section of this file (%s).

Re-run: %s (about 3 minutes), or %s from the repository root; %s for a quicker run, %s to keep the configurations, state and logs.
`, code("terraform apply -auto-approve"), code("plan"), code("terraform init"), code("terraform_data"), code("receivedAt"),
		code("TF_LOG_PROVIDER=INFO"), code("relay_received_at"), code("observed_at"), code("date"),
		code("thingspace_relay_http_requests_total"), code(relay.RouteRequests), code(relay.RouteCallbacks), sampleInterval, quickInterval, quickSampling, code(localprovider.Binary),
		code("sh"), code("curl"), code("sleep"), code("terraform plan -detailed-exitcode"), code("terraform_data"), planRounds,
		code("internal/bench/e2e/enable.sh"), code("make bench-relay"), code("make bench"),
		code(`go run ./internal/bench/e2e -terraform "$(command -v terraform)" -out BENCHMARKS.md`),
		code("-sizes 1,100"), code("-keep"))
}

const (
	beginMarker = "<!-- BEGIN e2e -->"
	endMarker   = "<!-- END e2e -->"
)

// writeSection puts section between the e2e markers of path, leaving the rest of the file (the
// relay benchmark's section among it) as it was. Without markers, the section is appended at
// the end, below whatever is there.
func writeSection(path, section string) error {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return os.WriteFile(path, []byte(replaceSection(string(old), section)), 0o644)
}

func replaceSection(content, section string) string {
	block := beginMarker + "\n" + strings.TrimRight(section, "\n") + "\n" + endMarker
	if content == "" {
		return "# Benchmarks\n\n" + block + "\n"
	}
	before, rest, found := strings.Cut(content, beginMarker)
	if found {
		if _, after, ok := strings.Cut(rest, endMarker); ok {
			return before + block + after
		}
	}
	return strings.TrimRight(content, "\n") + "\n\n" + block + "\n"
}
