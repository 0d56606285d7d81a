// Command e2e is the end-to-end benchmark `make bench` runs: for N = 1, 100 and 500 devices it
// starts the simulator (every device answers after 2 s) and the relay on loopback, and measures
// with a real Terraform CLI, in one run:
//
//   - N plain terraform_data resources (what Terraform itself costs, apply and plan);
//   - N thingspace_euicc_profile_enablement resources: apply time against its lower bound, the
//     time from the relay storing a device's final callback to the resource returning, requests
//     received by the simulator and the relay, peak memory of the provider, and the plan, also
//     against N terraform_data resources holding the same state;
//   - N terraform_data resources whose local-exec runs a curl shell script, what users write
//     without the provider.
//
// It writes its section of BENCHMARKS.md (between the e2e markers) and leaves the rest alone.
//
//	go run ./internal/bench/e2e -terraform "$(command -v terraform)" -out BENCHMARKS.md
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/bench/benchcmd"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/bench/benchmd"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/localprovider"
)

type options struct {
	terraform string
	out       string
	sizes     []int
	keep      bool
	profile   string
}

func main() {
	benchcmd.Main("bench", parseFlags, runBench)
}

func parseFlags() (options, error) {
	var o options
	var sizes string
	flag.StringVar(&o.terraform, "terraform", "", "absolute path of the Terraform CLI (required; `make bench` passes it)")
	flag.StringVar(&o.out, "out", "BENCHMARKS.md", "markdown file whose e2e section is rewritten; \"-\" prints it instead")
	flag.StringVar(&sizes, "sizes", "1,100,500", "numbers of devices (resources) to measure, comma-separated")
	flag.BoolVar(&o.keep, "keep", false, "keep the working directories (configurations, state, logs) and print where")
	flag.StringVar(&o.profile, "cpuprofile", "", "directory to write, per N, the CPU profile of one more plan (plan-N.pprof) "+
		"against the provider served in the benchmark process; its figures are printed, not written to -out")
	flag.Parse()
	if o.terraform == "" || !filepath.IsAbs(o.terraform) {
		return o, errors.New("-terraform must be the absolute path of a Terraform CLI (make bench finds one with scripts/terraform.sh)")
	}
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return o, fmt.Errorf("-sizes: %q is not a positive number", s)
		}
		o.sizes = append(o.sizes, n)
	}
	return o, nil
}

func runBench(ctx context.Context, o options) error {
	curl, err := exec.LookPath("curl")
	if err != nil {
		return errors.New("curl is missing: the shell-script comparison needs it (on Debian/Ubuntu: apt-get install -y curl)")
	}
	dir, err := os.MkdirTemp("", "thingspace-bench-")
	if err != nil {
		return err
	}
	if o.keep {
		defer fmt.Printf("Working directories kept in %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	b := &bench{tfPath: o.terraform, dir: dir, profileDir: o.profile}
	if o.profile != "" {
		if err := os.MkdirAll(o.profile, 0o755); err != nil {
			return err
		}
	}
	m, err := b.prepare(ctx, curl)
	if err != nil {
		return err
	}
	start := time.Now()
	var results []*sizeResult
	for _, n := range o.sizes {
		r, err := b.measure(ctx, n)
		if err != nil {
			return fmt.Errorf("measuring %d devices: %w", n, err)
		}
		results = append(results, r)
	}
	m.duration, m.loadAfter = time.Since(start), loadAverage()
	section := renderSection(m, results)
	fmt.Println()
	fmt.Print(section)
	if o.out == "-" {
		return nil
	}
	if err := benchmd.WriteSection(o.out, "e2e", section); err != nil {
		return fmt.Errorf("writing %s: %w", o.out, err)
	}
	fmt.Printf("\nWrote the e2e section of %s\n", o.out)
	return nil
}

// prepare builds the provider, writes the CLI configuration and describes the machine.
func (b *bench) prepare(ctx context.Context, curl string) (*machine, error) {
	progress("building %s", localprovider.Binary)
	bin, err := localprovider.Build(ctx, filepath.Join(b.dir, "bin"))
	if err != nil {
		return nil, err
	}
	// Installed from the mirror by `terraform init`, as users install providers (no dev_overrides).
	if b.cliConfig, err = localprovider.WriteCLIConfig(b.dir, bin, false); err != nil {
		return nil, err
	}
	return describeMachine(ctx, &terraform{path: b.tfPath}, curl)
}
