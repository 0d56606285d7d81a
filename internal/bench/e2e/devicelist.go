package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/simulator"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// sectionDeviceList names the markers of the device-list section of BENCHMARKS.md.
const sectionDeviceList = "device-list"

// deviceListResult is one fleet size: a plan that reads every device of the account.
type deviceListResult struct {
	n     int
	plans []*run
	// Requests of the first plan, from the simulator's log.
	pages, pagesMore, tokens, logins int
}

func (r deviceListResult) plan() *run { return medianRun(r.plans) }

// deviceListConfig reads every device of the provider's account with thingspace_devices and
// outputs how many there are, so the plan shows the count it read.
func deviceListConfig() string {
	return providerHeader() + `
data "thingspace_devices" "all" {}

output "devices" {
  value = length(data.thingspace_devices.all.devices)
}
`
}

// devicesOutput finds the plan's "devices = N" output line.
var devicesOutput = regexp.MustCompile(`\+ devices\s+=\s+(\d+)`)

// measureDeviceList plans, planRounds times, a configuration that lists a fleet of n devices
// from a fresh simulator, checking each plan read all of them.
func (b *bench) measureDeviceList(ctx context.Context, n int) (res *deviceListResult, err error) {
	st, err := startStack(ctx, b.stackDir(n, "device-list"), []simulator.Fleet{{Count: n}}, callbackDelay)
	if err != nil {
		return nil, err
	}
	defer func() { err = joinClose(err, st) }()
	dir := filepath.Join(b.dir, fmt.Sprintf("n%d-device-list", n))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(deviceListConfig()), 0o644); err != nil {
		return nil, err
	}
	t := &terraform{path: b.tfPath, dir: dir, env: append(b.baseEnv(), st.env()...)}
	if err := t.init(ctx); err != nil {
		return nil, err
	}
	res = &deviceListResult{n: n}
	for round := range planRounds {
		before := len(st.sim.Requests())
		// Exit code 2: the output is a change, as in any plan of a configuration never applied.
		r, err := t.exec(ctx, nil, []int{2}, "plan", "-input=false", "-no-color", "-detailed-exitcode")
		if err != nil {
			return nil, err
		}
		m := devicesOutput.FindStringSubmatch(r.stdout)
		if m == nil || m[1] != strconv.Itoa(n) {
			return nil, fmt.Errorf("the plan did not list the %d devices:\n%s", n, tail(r.stdout, 20))
		}
		if round == 0 {
			res.count(st.sim.Requests()[before:])
		}
		res.plans = append(res.plans, r)
	}
	return res, nil
}

// count takes the first plan's requests from the simulator's log.
func (r *deviceListResult) count(requests []simulator.RecordedRequest) {
	for _, req := range requests {
		switch req.Endpoint {
		case simulator.EndpointDeviceList:
			r.pages++
			if req.Status == http.StatusAccepted {
				r.pagesMore++
			}
		case simulator.EndpointToken:
			r.tokens++
		case simulator.EndpointLogin:
			r.logins++
		}
	}
}

func renderDeviceListSection(m *machine, results []*deviceListResult) string {
	var b strings.Builder
	b.WriteString("## Device list (`make bench-devices`)\n\n")
	m.measured(&b)
	fmt.Fprintf(&b, "A `terraform plan` of one `thingspace_devices` data source that reads every device of an account "+
		"(and outputs how many), against a fresh simulator (in the benchmark process, on loopback) whose account holds a "+
		"fleet of N generated devices. ThingSpace's page size, %d devices, applies: the simulator answers 202 with "+
		"`hasMoreData` to every page but the last. The provider is installed by `terraform init` from a filesystem "+
		"mirror, as users install it. Each plan runs %d times; the median is reported, and every plan must output N.\n\n",
		thingspace.DeviceListPageSize, planRounds)
	t := table[*deviceListResult]{b: &b, results: results}
	t.header("figure")
	t.row(fmt.Sprintf("plan wall time (CPU of Terraform + provider), median of %d", planRounds), func(r *deviceListResult) string { return wallCPU(r.plan()) })
	t.row("CPU: Terraform / provider", func(r *deviceListResult) string { return cpuSplit(r.plan()) })
	t.row("provider peak memory (VmHWM)", func(r *deviceListResult) string { return providerPeak(r.plan()) })
	t.row("pages read (answered 202 + 200) / expected ceil(N / page size)", func(r *deviceListResult) string {
		return fmt.Sprintf("%d (%d + %d) / %d", r.pages, r.pagesMore, r.pages-r.pagesMore,
			(r.n+thingspace.DeviceListPageSize-1)/thingspace.DeviceListPageSize)
	})
	t.row("simulator: token / login requests", func(r *deviceListResult) string { return fmt.Sprintf("%d / %d", r.tokens, r.logins) })
	fmt.Fprintf(&b, "\nWall time, CPU and memory are taken as in the end-to-end section. Re-run: `make bench-devices`, or "+
		"`go run ./internal/bench/e2e -terraform \"$(command -v terraform)\" -device-list 1,10000 -out BENCHMARKS.md` "+
		"(%d cores here; other sizes with `-device-list`).\n", runtime.NumCPU())
	return b.String()
}
