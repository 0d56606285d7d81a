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
//
// With -device-list, it measures instead a plan that reads every device of an account holding
// N generated devices with the thingspace_devices data source (make bench-devices), and writes
// the device-list section:
//
//	go run ./internal/bench/e2e -terraform "$(command -v terraform)" -device-list 1,10000 -out BENCHMARKS.md
//
// With -fleet, it measures one thingspace_euicc_profile_fleet_enablement holding N devices:
// its apply against the same apply with instant callbacks, adding and removing devices, its
// plan against terraform_data, and per-device for_each enablements for comparison (make
// bench-fleet), and writes the fleet section:
//
//	go run ./internal/bench/e2e -terraform "$(command -v terraform)" -fleet 10000 -out BENCHMARKS.md
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
	// deviceList, when set, selects the device-list measurement, for these fleet sizes.
	deviceList []int
	// fleet, when set, selects the fleet-resource measurement, for these fleet sizes.
	fleet []int
}

func main() {
	benchcmd.Main("bench", parseFlags, runBench)
}

func parseFlags() (options, error) {
	var o options
	var sizes, deviceList, fleet string
	flag.StringVar(&o.terraform, "terraform", "", "absolute path of the Terraform CLI (required; `make bench` passes it)")
	flag.StringVar(&o.out, "out", "BENCHMARKS.md", "markdown file whose e2e section is rewritten; \"-\" prints it instead")
	flag.StringVar(&sizes, "sizes", "1,100,500", "numbers of devices (resources) to measure, comma-separated")
	flag.BoolVar(&o.keep, "keep", false, "keep the working directories (configurations, state, logs) and print where")
	flag.StringVar(&o.profile, "cpuprofile", "", "directory to write, per N, the CPU profile of one more plan (plan-N.pprof) "+
		"against the provider served in the benchmark process; its figures are printed, not written to -out")
	flag.StringVar(&deviceList, "device-list", "", "instead of the enablements, measure a plan listing every device of an "+
		"account with thingspace_devices, for these numbers of devices (comma-separated), and write the device-list section")
	flag.StringVar(&fleet, "fleet", "", "instead of the enablements, measure one thingspace_euicc_profile_fleet_enablement "+
		"for these numbers of devices (comma-separated), with its updates, plans and the for_each comparison, and write the "+
		"fleet section")
	flag.Parse()
	if o.terraform == "" || !filepath.IsAbs(o.terraform) {
		return o, errors.New("-terraform must be the absolute path of a Terraform CLI (make bench finds one with scripts/terraform.sh)")
	}
	var err error
	if o.sizes, err = parseSizes("-sizes", sizes); err != nil {
		return o, err
	}
	if deviceList != "" {
		if o.deviceList, err = parseSizes("-device-list", deviceList); err != nil {
			return o, err
		}
	}
	if fleet != "" {
		o.fleet, err = parseSizes("-fleet", fleet)
	}
	return o, err
}

func parseSizes(flagName, list string) ([]int, error) {
	var out []int
	for _, s := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%s: %q is not a positive number", flagName, s)
		}
		out = append(out, n)
	}
	return out, nil
}

func runBench(ctx context.Context, o options) error {
	curl, err := exec.LookPath("curl")
	if err != nil && o.deviceList == nil && o.fleet == nil {
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
	if o.deviceList != nil {
		return b.runDeviceList(ctx, o, m)
	}
	if o.fleet != nil {
		return b.runFleet(ctx, o, m)
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
	return output(o.out, "e2e", renderSection(m, results))
}

// runDeviceList measures the device-list plans and writes their section.
func (b *bench) runDeviceList(ctx context.Context, o options, m *machine) error {
	start := time.Now()
	var results []*deviceListResult
	for _, n := range o.deviceList {
		progress("N=%d: a plan listing %d devices with thingspace_devices", n, n)
		r, err := b.measureDeviceList(ctx, n)
		if err != nil {
			return fmt.Errorf("listing %d devices: %w", n, err)
		}
		progress("N=%d: plan %s, %d pages", n, wallCPU(r.plan()), r.pages)
		results = append(results, r)
	}
	m.duration, m.loadAfter = time.Since(start), loadAverage()
	return output(o.out, sectionDeviceList, renderDeviceListSection(m, results))
}

// output prints section and, unless out is "-", writes it as the named section of out.
func output(out, name, section string) error {
	fmt.Println()
	fmt.Print(section)
	if out == "-" {
		return nil
	}
	if err := benchmd.WriteSection(out, name, section); err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	fmt.Printf("\nWrote the %s section of %s\n", name, out)
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
