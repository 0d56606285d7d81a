package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// planRounds is how many times each plan is repeated, alternating the two variants; the
// median is reported. Plans take seconds, so repeating them is cheap, and it keeps a burst of
// other load on the machine from deciding the plan ratio.
const planRounds = 3

// bench is one benchmark run: the CLI, the built provider and a directory for everything.
type bench struct {
	tfPath    string
	cliConfig string
	dir       string
	block     int // next device range, so no two measurements share a device
	// profileDir, when set, gets a CPU profile of one more plan per N (profile.go).
	profileDir string
}

// sizeResult is every figure measured for one N.
type sizeResult struct {
	n int
	// Terraform alone: N terraform_data resources.
	dataApply *run
	dataPlans []*run
	// The provider: N enablement resources, applied then planned (refresh).
	provider      applyResult
	providerPlans []*run
	// planCounts are the requests of the first provider plan.
	planCounts counts
	// Terraform alone with the provider's state: N terraform_data resources whose input holds
	// the values the provider's resources hold.
	equalStatePlans []*run
	// What users write today: a local-exec shell script per device.
	script applyResult
}

// applyResult is one apply of N devices, with what the servers saw and how long each
// resource took to finish after the relay stored its device's final callback.
type applyResult struct {
	*run
	counts counts
	completions
}

// lowerBound is the least time the work can take: ceil(N/parallelism) waves of callbackDelay,
// plus what Terraform itself needs for N resources.
func (r sizeResult) lowerBound() time.Duration {
	waves := math.Ceil(float64(r.n) / parallelism)
	return time.Duration(waves)*callbackDelay + r.dataApply.elapsed
}

func (r sizeResult) dataPlan() *run       { return medianRun(r.dataPlans) }
func (r sizeResult) providerPlan() *run   { return medianRun(r.providerPlans) }
func (r sizeResult) equalStatePlan() *run { return medianRun(r.equalStatePlans) }

// medianRun is the run with the median wall time.
func medianRun(runs []*run) *run {
	sorted := slices.Clone(runs)
	slices.SortFunc(sorted, func(a, b *run) int { return int(a.elapsed - b.elapsed) })
	return sorted[len(sorted)/2]
}

func (b *bench) measure(ctx context.Context, n int) (*sizeResult, error) {
	res := &sizeResult{n: n}
	progress("N=%d: %d terraform_data resources (Terraform alone)", n, n)
	data, _, err := b.workdir(ctx, variantData, n, nil)
	if err != nil {
		return nil, err
	}
	if res.dataApply, err = data.apply(ctx); err != nil {
		return nil, err
	}
	progress("N=%d: apply %s", n, secs(res.dataApply.elapsed))

	progress("N=%d: %d thingspace_euicc_profile_enablement resources (the provider)", n, n)
	if err := b.measureProvider(ctx, n, res, data); err != nil {
		return nil, err
	}
	plan := res.providerPlan()
	progress("N=%d: apply %s (lower bound %s); plan %s against terraform_data's %s and %s with equal state (medians of %d); "+
		"plan CPU %s against %s and %s; provider CPU per resource %s", n, secs(res.provider.elapsed), secs(res.lowerBound()),
		secs(plan.elapsed), secs(res.dataPlan().elapsed), secs(res.equalStatePlan().elapsed), planRounds, secs(plan.cpu),
		secs(res.dataPlan().cpu), secs(res.equalStatePlan().cpu), perResource(plan.usage.providerCPU, n))

	progress("N=%d: %d terraform_data resources running enable.sh (the shell script)", n, n)
	if res.script, err = b.measureScript(ctx, n); err != nil {
		return nil, err
	}
	progress("N=%d: apply %s", n, secs(res.script.elapsed))
	return res, nil
}

// workdir returns a new working directory with the variant's configuration for n new devices,
// initialised.
func (b *bench) workdir(ctx context.Context, v variant, n int, env []string) (*terraform, []device, error) {
	b.block++
	devices := devicesFor(b.block, n)
	dir := filepath.Join(b.dir, fmt.Sprintf("n%d-%s", n, v.dirName()))
	if err := writeConfig(dir, v, devices); err != nil {
		return nil, nil, err
	}
	t := &terraform{path: b.tfPath, dir: dir, env: append(b.baseEnv(), env...)}
	return t, devices, t.init(ctx)
}

// equalStateWorkdir returns an initialised working directory of N terraform_data resources
// holding the values of the provider's resources in applied, whose devices they are.
func (b *bench) equalStateWorkdir(ctx context.Context, applied *terraform, devices []device) (*terraform, error) {
	dir := filepath.Join(b.dir, fmt.Sprintf("n%d-%s", len(devices), variantEqualState.dirName()))
	if err := writeConfig(dir, variantEqualState, devices); err != nil {
		return nil, err
	}
	if err := writeEqualState(dir, filepath.Join(applied.dir, "terraform.tfstate")); err != nil {
		return nil, err
	}
	t := &terraform{path: b.tfPath, dir: dir, env: b.baseEnv()}
	return t, t.init(ctx)
}

// baseEnv isolates Terraform from the caller's configuration and logging settings.
func (b *bench) baseEnv() []string {
	return []string{
		"TF_CLI_CONFIG_FILE=" + b.cliConfig, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1",
		"TF_LOG=", "TF_LOG_CORE=", "TF_LOG_PROVIDER=", "TF_LOG_PATH=", "TF_PLUGIN_CACHE_DIR=",
		"TF_LOG_SDK=", "TF_LOG_SDK_PROTO=", "TF_LOG_SDK_FRAMEWORK=", "TF_LOG_PROVIDER_THINGSPACE=",
	}
}

// measureProvider applies N enablements, then plans them and the terraform_data resources in
// turn, while the stack they were applied against still runs.
func (b *bench) measureProvider(ctx context.Context, n int, res *sizeResult, data *terraform) (err error) {
	st, err := startStack(ctx, b.stackDir(n, "provider"), nil, callbackDelay)
	if err != nil {
		return err
	}
	defer func() { err = joinClose(err, st) }()
	t, devices, err := b.workdir(ctx, variantProvider, n, st.env())
	if err != nil {
		return err
	}
	before, err := st.counts(ctx)
	if err != nil {
		return err
	}
	if res.provider.run, err = t.apply(ctx); err != nil {
		return err
	}
	afterApply, err := st.counts(ctx)
	if err != nil {
		return err
	}
	res.provider.counts = afterApply.minus(before)
	created, err := creations(res.provider.run, devices)
	if err != nil {
		return err
	}
	requestByEID, err := st.requestsByEID(devices)
	if err != nil {
		return err
	}
	if res.provider.completions, err = st.measureCompletions(ctx, res.provider.run, created, requestByEID, true); err != nil {
		return err
	}
	equalState, err := b.equalStateWorkdir(ctx, t, devices)
	if err != nil {
		return err
	}
	if _, err := equalState.apply(ctx); err != nil {
		return err
	}
	for round := range planRounds {
		dataPlan, err := data.plan(ctx)
		if err != nil {
			return err
		}
		equalStatePlan, err := equalState.plan(ctx)
		if err != nil {
			return err
		}
		startPlan, err := st.counts(ctx)
		if err != nil {
			return err
		}
		providerPlan, err := t.plan(ctx)
		if err != nil {
			return err
		}
		if round == 0 {
			endPlan, err := st.counts(ctx)
			if err != nil {
				return err
			}
			res.planCounts = endPlan.minus(startPlan)
		}
		res.dataPlans, res.providerPlans = append(res.dataPlans, dataPlan), append(res.providerPlans, providerPlan)
		res.equalStatePlans = append(res.equalStatePlans, equalStatePlan)
	}
	if b.profileDir == "" {
		return nil
	}
	path := filepath.Join(b.profileDir, fmt.Sprintf("plan-%d.pprof", n))
	p, err := profilePlan(ctx, t, st.env(), path)
	if err != nil {
		return err
	}
	progress("N=%d: profiled plan %s, provider CPU %s (%s per resource), Terraform CPU %s; profile in %s", n, secs(p.elapsed),
		secs(p.providerCPU), perResource(p.providerCPU, n), secs(p.cpu), path)
	return nil
}

func (b *bench) measureScript(ctx context.Context, n int) (res applyResult, err error) {
	st, err := startStack(ctx, b.stackDir(n, "script"), nil, callbackDelay)
	if err != nil {
		return res, err
	}
	defer func() { err = joinClose(err, st) }()
	t, devices, err := b.workdir(ctx, variantScript, n, st.env())
	if err != nil {
		return res, err
	}
	before, err := st.counts(ctx)
	if err != nil {
		return res, err
	}
	if res.run, err = t.apply(ctx); err != nil {
		return res, err
	}
	after, err := st.counts(ctx)
	if err != nil {
		return res, err
	}
	res.counts = after.minus(before)
	created, err := creations(res.run, devices)
	if err != nil {
		return res, err
	}
	requestByEID, err := st.requestsByEID(devices)
	if err != nil {
		return res, err
	}
	res.completions, err = st.measureCompletions(ctx, res.run, created, requestByEID, false)
	return res, err
}

func (b *bench) stackDir(n int, name string) string {
	dir := filepath.Join(b.dir, fmt.Sprintf("n%d-%s-stack", n, name))
	_ = os.MkdirAll(dir, 0o755)
	return dir
}

func joinClose(err error, st *stack) error {
	if cerr := st.close(); cerr != nil && err == nil {
		return cerr
	}
	return err
}

func progress(format string, args ...any) {
	fmt.Printf("%s  "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }
