// Command soak is the soak `make soak` runs: many `terraform apply` + `terraform destroy` cycles
// of a few thingspace_euicc_profile_enablement resources against the simulator and the relay
// (in this process, on loopback), each cycle with one disturbance drawn from a seeded generator:
// throttling, 5xx and dropped connections on the enable, an expired session or a revoked bearer
// mid-apply, duplicated or differently spelled callbacks, warnings, failing devices, a relay
// restart mid-wait.
//
// After every cycle it checks the promises of DESIGN.md against the simulator's request log, the
// relay's database and Terraform's output: no action sent twice (nor again after its outcome was
// unknown), every callback the relay acknowledged stored, every failed apply failing for its
// fault and saying what to do. It writes its section of BENCHMARKS.md (between the soak markers)
// and exits non-zero when any check failed.
//
//	go run ./internal/bench/soak -terraform "$(command -v terraform)" -out BENCHMARKS.md
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/bench/benchcmd"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/bench/benchmd"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/localprovider"
)

type options struct {
	terraform string
	out       string
	seed      uint64
	applies   int
	duration  time.Duration
	keep      bool
}

func main() {
	benchcmd.Main("soak", parseFlags, soakWithoutProblems)
}

// soakWithoutProblems runs the soak and fails it when a check found a problem, once the report
// has listed them all.
func soakWithoutProblems(ctx context.Context, o options) error {
	t, err := runSoak(ctx, o)
	if err != nil {
		return err
	}
	if n := t.problemCount(); n > 0 {
		return fmt.Errorf("%d problems found (seed %d); they are listed above and in the report", n, o.seed)
	}
	return nil
}

func parseFlags() (options, error) {
	o := options{seed: uint64(time.Now().UnixNano())}
	flag.StringVar(&o.terraform, "terraform", "", "absolute path of the Terraform CLI (required; `make soak` passes it)")
	flag.StringVar(&o.out, "out", "BENCHMARKS.md", "markdown file whose soak section is rewritten; \"-\" prints it instead")
	flag.Uint64Var(&o.seed, "seed", o.seed, "seed of the fault mix; the same seed draws the same cycles (default: the clock)")
	flag.IntVar(&o.applies, "applies", 200, "number of apply + destroy cycles")
	flag.DurationVar(&o.duration, "duration", time.Hour, "stop starting cycles after this long, even before -applies")
	flag.BoolVar(&o.keep, "keep", false, "keep the working directory (configuration, state, relay database) and print where")
	flag.Parse()
	switch {
	case o.terraform == "" || !filepath.IsAbs(o.terraform):
		return o, errors.New("-terraform must be the absolute path of a Terraform CLI (make soak finds one with scripts/terraform.sh)")
	case o.applies < 1:
		return o, errors.New("-applies must be at least 1")
	case o.duration <= 0:
		return o, errors.New("-duration must be positive")
	}
	return o, nil
}

func runSoak(ctx context.Context, o options) (*tally, error) {
	dir, err := os.MkdirTemp("", "thingspace-soak-")
	if err != nil {
		return nil, err
	}
	if o.keep {
		defer fmt.Printf("Working directory kept in %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	fmt.Printf("soak: seed %d, %d cycles at most, for %s at most\n", o.seed, o.applies, o.duration)
	s, m, err := prepare(ctx, o, dir)
	if err != nil {
		return nil, err
	}
	defer s.stack.close()

	t := newTally(o.seed)
	rng := rand.New(rand.NewPCG(o.seed, o.seed))
	start := time.Now()
	for n := 1; n <= o.applies && time.Since(start) < o.duration; n++ {
		out, err := s.runCycle(ctx, planCycle(rng, n))
		if err != nil {
			return nil, fmt.Errorf("cycle %d: %w", n, err)
		}
		t.add(out)
		fmt.Println(out.line())
	}
	// Duplicates asked of the last cycles may still be on their way: let them land, then check
	// that the relay holds every final callback it acknowledged over the whole run.
	time.Sleep(2 * time.Second)
	var last cycleCheck
	if err := s.checkCallbacks(ctx, &last); err != nil {
		return nil, err
	}
	t.addFinal(last)
	t.callbacksChecked = len(s.verified)
	t.wall = time.Since(start)

	section := renderSection(m, t)
	fmt.Println()
	fmt.Print(section)
	if o.out == "-" {
		return t, nil
	}
	if err := benchmd.WriteSection(o.out, "soak", section); err != nil {
		return nil, fmt.Errorf("writing %s: %w", o.out, err)
	}
	fmt.Printf("\nWrote the soak section of %s\n", o.out)
	return t, nil
}

// prepare builds and installs the provider, starts the stack and initialises the working
// directory once: every cycle then only rewrites main.tf.
func prepare(ctx context.Context, o options, dir string) (*soak, machine, error) {
	tf := terraform{path: o.terraform, dir: filepath.Join(dir, "work")}
	m, err := describeMachine(ctx, tf)
	if err != nil {
		return nil, m, err
	}
	fmt.Printf("soak: building %s\n", localprovider.Binary)
	bin, err := localprovider.Build(ctx, filepath.Join(dir, "bin"))
	if err != nil {
		return nil, m, err
	}
	cliConfig, err := localprovider.WriteCLIConfig(dir, bin, false)
	if err != nil {
		return nil, m, err
	}
	if err := os.MkdirAll(tf.dir, 0o755); err != nil {
		return nil, m, err
	}
	st, err := startStack(ctx, dir)
	if err != nil {
		return nil, m, err
	}
	tf.env = append([]string{
		"TF_CLI_CONFIG_FILE=" + cliConfig, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1",
		"TF_LOG=", "TF_LOG_CORE=", "TF_LOG_PROVIDER=", "TF_LOG_PATH=", "TF_PLUGIN_CACHE_DIR=",
	}, st.env()...)
	s := &soak{tf: tf, stack: st, verified: map[deliveryKey]bool{}}
	if err := os.WriteFile(filepath.Join(tf.dir, "main.tf"), []byte(configuration(cyclePlan{})), 0o644); err != nil {
		return nil, m, errors.Join(err, st.close())
	}
	if r, err := tf.run(ctx, "init"); err != nil || r.failed {
		return nil, m, errors.Join(fmt.Errorf("terraform init failed:\n%s", r.output), err, st.close())
	}
	return s, m, nil
}
