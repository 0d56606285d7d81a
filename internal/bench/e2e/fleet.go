package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/simulator"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// The fleet measurement (make bench-fleet): one thingspace_euicc_profile_fleet_enablement for
// a whole fleet, against the same fleet as one enablement per device.
const (
	sectionFleet = "fleet"
	// fleetChange is how many devices the update measurements add, then remove.
	fleetChange = 100
	// forEachSample is the size of the per-device for_each comparison, extrapolated to N: at
	// Terraform's default parallelism a full run of 10,000 would take over half an hour.
	forEachSample = 500
	// defaultParallelism is Terraform's own default, which a user of for_each runs with.
	defaultParallelism = 10
)

// fleetResult is every figure measured for one fleet size.
type fleetResult struct {
	n int
	// The fleet applied with callbacks after callbackDelay, and the same apply of other devices
	// with callbacks answered at once: the difference is what waiting costs.
	apply, instant                 *run
	applyRequests, instantRequests sentRequests
	stateBytes                     int64
	// Adding fleetChange devices, then removing them again with disable_on_remove.
	add, remove                 *run
	addRequests, removeRequests sentRequests
	added                       []string // EIDs
	// Plans of the applied fleet, and of a terraform_data holding the same map.
	plans, dataPlans []*run
	// dataAdd is the terraform_data's apply of the same fleetChange added devices: what
	// Terraform alone spends on that change of a map this size, without any provider.
	dataAdd *run
	// forEach is forEachSample per-device enablements at the default parallelism.
	forEach *run
}

// sentRequests is what the simulator received during one command.
type sentRequests struct {
	tokens, logins int
	// actions holds the profile-action requests ThingSpace acted on, by action.
	actions map[string][]simulator.RecordedRequest
}

func countSent(requests []simulator.RecordedRequest) sentRequests {
	s := sentRequests{actions: map[string][]simulator.RecordedRequest{}}
	for _, r := range requests {
		switch {
		case r.Endpoint == simulator.EndpointToken:
			s.tokens++
		case r.Endpoint == simulator.EndpointLogin:
			s.logins++
		case r.Endpoint == simulator.EndpointProfileAction && r.RequestID != "":
			s.actions[r.Action] = append(s.actions[r.Action], r)
		}
	}
	return s
}

// named is the sorted EIDs the requests of one action named.
func (s sentRequests) named(action thingspace.ProfileAction) []string {
	var eids []string
	for _, r := range s.actions[string(action)] {
		eids = append(eids, r.EIDs...)
	}
	slices.Sort(eids)
	return eids
}

// only describes the requests of one action and whether they named exactly want.
func (s sentRequests) only(action thingspace.ProfileAction, want []string) string {
	got := s.named(action)
	verdict := "exactly those"
	if !slices.Equal(got, want) {
		verdict = fmt.Sprintf("**not only those: %d EIDs named**", len(got))
	}
	others := len(s.actions) - 1
	if _, ok := s.actions[string(action)]; !ok {
		others++
	}
	return fmt.Sprintf("%d %s request(s) naming %d devices, %s; %d request(s) of other actions",
		len(s.actions[string(action)]), action, len(got), verdict, others)
}

func (r *fleetResult) plan() *run     { return medianRun(r.plans) }
func (r *fleetResult) dataPlan() *run { return medianRun(r.dataPlans) }

// requestLimit is how many enable requests a fleet of n needs.
func requestLimit(n int) int {
	return (n + thingspace.DefaultMaxDevicesPerRequest - 1) / thingspace.DefaultMaxDevicesPerRequest
}

// fleetConfig is one fleet resource for local.devices. disable_on_remove is set from the start,
// so the removal measurement changes only the map.
func fleetConfig() string {
	return providerHeader() + `
resource "thingspace_euicc_profile_fleet_enablement" "fleet" {
  devices           = local.devices
  disable_on_remove = true
}
`
}

// dataFleetConfig is Terraform alone holding the same map in one resource.
const dataFleetConfig = `resource "terraform_data" "fleet" {
  input = local.devices
}
`

// fleetDir writes a working directory with main.tf and the devices, and initialises it.
func (b *bench) fleetDir(ctx context.Context, name, main string, devices []device, env []string) (*terraform, error) {
	dir := filepath.Join(b.dir, name)
	t := &terraform{path: b.tfPath, dir: dir, env: append(b.baseEnv(), env...)}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(main), 0o644); err != nil {
		return nil, err
	}
	if err := t.setDevices(devices); err != nil {
		return nil, err
	}
	return t, t.init(ctx)
}

func (t *terraform) setDevices(devices []device) error {
	return os.WriteFile(filepath.Join(t.dir, "devices.tf"), []byte(devicesLocal(devices)), 0o644)
}

// applied runs one apply against st and returns it with the requests it sent.
func applied(ctx context.Context, t *terraform, st *stack, args ...string) (*run, sentRequests, error) {
	before := len(st.sim.Requests())
	if len(args) == 0 {
		args = []string{fmt.Sprintf("-parallelism=%d", parallelism)}
	}
	r, err := t.exec(ctx, nil, nil, append([]string{"apply", "-input=false", "-auto-approve", "-no-color"}, args...)...)
	if err != nil {
		return nil, sentRequests{}, err
	}
	return r, countSent(st.sim.Requests()[before:]), nil
}

// measureFleet applies a fleet of n, changes and plans it, then measures the comparisons.
func (b *bench) measureFleet(ctx context.Context, n int) (res *fleetResult, err error) {
	res = &fleetResult{n: n}
	if err := b.measureFleetLifecycle(ctx, res); err != nil {
		return nil, err
	}
	if err := b.measureFleetInstant(ctx, res); err != nil {
		return nil, err
	}
	return res, b.measureForEach(ctx, res)
}

// measureFleetLifecycle applies the fleet with slow callbacks, adds and removes devices, and
// plans it against terraform_data.
func (b *bench) measureFleetLifecycle(ctx context.Context, res *fleetResult) (err error) {
	n := res.n
	st, err := startStack(ctx, b.stackDir(n, "fleet"), nil, callbackDelay)
	if err != nil {
		return err
	}
	defer func() { err = joinClose(err, st) }()
	b.block++
	all := devicesFor(b.block, n+fleetChange)
	fleet, extra := all[:n], all[n:]
	for _, d := range extra {
		res.added = append(res.added, d.EID)
	}
	slices.Sort(res.added)

	progress("N=%d: one fleet resource, callbacks after %s", n, callbackDelay)
	t, err := b.fleetDir(ctx, fmt.Sprintf("n%d-fleet", n), fleetConfig(), fleet, st.env())
	if err != nil {
		return err
	}
	if res.apply, res.applyRequests, err = applied(ctx, t, st); err != nil {
		return err
	}
	info, err := os.Stat(filepath.Join(t.dir, "terraform.tfstate"))
	if err != nil {
		return err
	}
	res.stateBytes = info.Size()
	progress("N=%d: apply %s, %d enable requests, state %.1f MiB", n, secs(res.apply.elapsed),
		len(res.applyRequests.actions[string(thingspace.ActionEnable)]), float64(res.stateBytes)/(1<<20))

	progress("N=%d: adding %d devices, then removing them (disable_on_remove)", n, fleetChange)
	if err := t.setDevices(all); err != nil {
		return err
	}
	if res.add, res.addRequests, err = applied(ctx, t, st); err != nil {
		return err
	}
	if err := t.setDevices(fleet); err != nil {
		return err
	}
	if res.remove, res.removeRequests, err = applied(ctx, t, st); err != nil {
		return err
	}
	progress("N=%d: add %s (%s), remove %s (%s)", n, secs(res.add.elapsed), res.add.phases(),
		secs(res.remove.elapsed), res.remove.phases())

	data, err := b.fleetDir(ctx, fmt.Sprintf("n%d-fleet-data", n), dataFleetConfig, fleet, nil)
	if err != nil {
		return err
	}
	if _, err := data.apply(ctx); err != nil {
		return err
	}
	for range planRounds {
		p, err := t.plan(ctx)
		if err != nil {
			return err
		}
		d, err := data.plan(ctx)
		if err != nil {
			return err
		}
		res.plans, res.dataPlans = append(res.plans, p), append(res.dataPlans, d)
	}
	progress("N=%d: plan %s against terraform_data's %s (medians of %d)", n, secs(res.plan().elapsed),
		secs(res.dataPlan().elapsed), planRounds)
	if err := data.setDevices(all); err != nil {
		return err
	}
	if res.dataAdd, err = data.apply(ctx); err != nil {
		return err
	}
	progress("N=%d: terraform_data adding the same %d devices: %s", n, fleetChange, secs(res.dataAdd.elapsed))
	if b.profileDir == "" {
		return nil
	}
	path := filepath.Join(b.profileDir, fmt.Sprintf("fleet-plan-%d.pprof", n))
	p, err := profilePlan(ctx, t, st.env(), path)
	if err != nil {
		return err
	}
	progress("N=%d: profiled fleet plan %s, provider CPU %s, Terraform CPU %s; profile in %s", n, secs(p.elapsed),
		secs(p.providerCPU), secs(p.cpu), path)

	if err := t.setDevices(all); err != nil {
		return err
	}
	path = filepath.Join(b.profileDir, fmt.Sprintf("fleet-add-%d.pprof", n))
	p, err = profileRun(ctx, t, st.env(), path, func(t *terraform, env string) (*run, error) {
		return t.exec(ctx, []string{env}, nil, "apply", "-input=false", "-auto-approve", "-no-color")
	})
	if err != nil {
		return err
	}
	progress("N=%d: profiled adding %d devices %s (%s), provider CPU %s, Terraform CPU %s; profile in %s", n, fleetChange,
		secs(p.elapsed), p.phases(), secs(p.providerCPU), secs(p.cpu), path)
	return nil
}

// measureFleetInstant applies a fleet of other devices with callbacks answered at once.
func (b *bench) measureFleetInstant(ctx context.Context, res *fleetResult) (err error) {
	st, err := startStack(ctx, b.stackDir(res.n, "fleet-instant"), nil, 0)
	if err != nil {
		return err
	}
	defer func() { err = joinClose(err, st) }()
	b.block++
	progress("N=%d: the same fleet size, callbacks answered at once", res.n)
	t, err := b.fleetDir(ctx, fmt.Sprintf("n%d-fleet-instant", res.n), fleetConfig(), devicesFor(b.block, res.n), st.env())
	if err != nil {
		return err
	}
	res.instant, res.instantRequests, err = applied(ctx, t, st)
	if err == nil {
		progress("N=%d: apply %s", res.n, secs(res.instant.elapsed))
	}
	return err
}

// measureForEach applies forEachSample per-device enablements at Terraform's default
// parallelism, the module a fleet team would otherwise write.
func (b *bench) measureForEach(ctx context.Context, res *fleetResult) (err error) {
	st, err := startStack(ctx, b.stackDir(forEachSample, "for-each"), nil, callbackDelay)
	if err != nil {
		return err
	}
	defer func() { err = joinClose(err, st) }()
	progress("N=%d: %d per-device enablements with for_each, -parallelism=%d", res.n, forEachSample, defaultParallelism)
	t, _, err := b.workdir(ctx, variantProvider, forEachSample, st.env())
	if err != nil {
		return err
	}
	res.forEach, _, err = applied(ctx, t, st, fmt.Sprintf("-parallelism=%d", defaultParallelism))
	if err == nil {
		progress("N=%d: apply %s", forEachSample, secs(res.forEach.elapsed))
	}
	return err
}

// runFleet measures the fleet sizes and writes their section.
func (b *bench) runFleet(ctx context.Context, o options, m *machine) error {
	start := time.Now()
	var results []*fleetResult
	for _, n := range o.fleet {
		r, err := b.measureFleet(ctx, n)
		if err != nil {
			return fmt.Errorf("a fleet of %d devices: %w", n, err)
		}
		results = append(results, r)
	}
	m.duration, m.loadAfter = time.Since(start), loadAverage()
	return output(o.out, sectionFleet, renderFleetSection(m, results))
}

func renderFleetSection(m *machine, results []*fleetResult) string {
	var b strings.Builder
	b.WriteString("## Fleet (`make bench-fleet`)\n\n")
	m.measured(&b)
	fmt.Fprintf(&b, "One `thingspace_euicc_profile_fleet_enablement` holding N devices (a map of EID to ICCID, "+
		"`disable_on_remove = true`), applied with `terraform apply` against a fresh simulator and relay on loopback, "+
		"every device answering %s after its request; then %d devices added and removed again; then planned against a "+
		"`terraform_data` holding the same map, and the same devices added to it: what Terraform alone spends. The same apply with callbacks answered at once (other devices, another "+
		"simulator) gives the cost of everything but waiting. Request counts come from the simulator's log.\n\n",
		callbackDelay, fleetChange)
	t := table[*fleetResult]{b: &b, results: results}
	t.header("figure")
	t.row(fmt.Sprintf("apply, callbacks after %s: wall (CPU)", callbackDelay), func(r *fleetResult) string { return wallCPU(r.apply) })
	t.row("apply, callbacks at once: wall (CPU)", func(r *fleetResult) string { return wallCPU(r.instant) })
	t.row(fmt.Sprintf("target: apply ≤ 1.5 × (%s + apply with callbacks at once)", callbackDelay), func(r *fleetResult) string {
		bound := callbackDelay + r.instant.elapsed
		return fmt.Sprintf("%.2f× — %s", ratio(r.apply.elapsed, bound), verdict(ratio(r.apply.elapsed, bound) <= 1.5))
	})
	t.row("enable requests / expected ceil(N / limit)", func(r *fleetResult) string {
		got := len(r.applyRequests.actions[string(thingspace.ActionEnable)])
		return fmt.Sprintf("%d / %d — %s", got, requestLimit(r.n), verdict(got == requestLimit(r.n)))
	})
	t.row("token / login requests of the apply", func(r *fleetResult) string {
		return fmt.Sprintf("%d / %d — %s", r.applyRequests.tokens, r.applyRequests.logins,
			verdict(r.applyRequests.tokens == 1 && r.applyRequests.logins == 1))
	})
	t.row("provider peak memory during the apply (VmHWM)", func(r *fleetResult) string { return providerPeak(r.apply) })
	t.row("state file size", func(r *fleetResult) string { return fmt.Sprintf("%.1f MiB", float64(r.stateBytes)/(1<<20)) })
	t.row(fmt.Sprintf("add %d devices: apply wall (target < 5 s)", fleetChange), func(r *fleetResult) string {
		return fmt.Sprintf("%s — %s", secs(r.add.elapsed), verdict(r.add.elapsed < 5*time.Second))
	})
	t.row(fmt.Sprintf("add %d devices: when the apply printed each step", fleetChange), func(r *fleetResult) string {
		return r.add.phases()
	})
	t.row(fmt.Sprintf("the same %d added to a terraform_data holding the map: apply wall; + %s of callbacks", fleetChange, callbackDelay),
		func(r *fleetResult) string {
			return fmt.Sprintf("%s; %s (the fleet takes %.2f× that)", secs(r.dataAdd.elapsed),
				secs(r.dataAdd.elapsed+callbackDelay), ratio(r.add.elapsed, r.dataAdd.elapsed+callbackDelay))
		})
	t.row(fmt.Sprintf("add %d devices: requests", fleetChange), func(r *fleetResult) string {
		return r.addRequests.only(thingspace.ActionEnable, r.added)
	})
	t.row("remove them (disable_on_remove): apply wall", func(r *fleetResult) string { return secs(r.remove.elapsed) })
	t.row("remove them: requests", func(r *fleetResult) string {
		return r.removeRequests.only(thingspace.ActionDisable, r.added)
	})
	t.row(fmt.Sprintf("plan of the applied fleet / of a terraform_data with the same map, medians of %d", planRounds),
		func(r *fleetResult) string {
			return fmt.Sprintf("%s / %s (%.2f×)", secs(r.plan().elapsed), secs(r.dataPlan().elapsed),
				ratio(r.plan().elapsed, r.dataPlan().elapsed))
		})
	t.row(fmt.Sprintf("%d per-device enablements (for_each, -parallelism=%d): apply wall", forEachSample, defaultParallelism),
		func(r *fleetResult) string { return secs(r.forEach.elapsed) })
	t.row("the same for N devices, extrapolated linearly / requests it sends", func(r *fleetResult) string {
		scaled := time.Duration(float64(r.forEach.elapsed) * float64(r.n) / forEachSample)
		return fmt.Sprintf("%s (%.0f× the fleet resource) / %d", scaled.Round(time.Second), ratio(scaled, r.apply.elapsed), r.n)
	})
	fmt.Fprintf(&b, "\nThe per-device comparison is measured at N = %d and scaled to N (Terraform runs %d resources at a "+
		"time, each waiting %s for its device, so the time grows linearly); a full run would take over half an hour. "+
		"Wall time, CPU and memory are taken as in the end-to-end section. Re-run: `make bench-fleet`, or "+
		"`go run ./internal/bench/e2e -terraform \"$(command -v terraform)\" -fleet 10000 -out BENCHMARKS.md` (%d cores here).\n",
		forEachSample, defaultParallelism, callbackDelay, runtime.NumCPU())
	return b.String()
}
