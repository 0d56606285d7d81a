// Command relay benchmarks thingspace-relay as users run it: the built binary as a child
// process, real HTTP on loopback, SQLite with full synchronous commits or PostgreSQL. It
// measures ingest throughput and latency from concurrent senders, how soon a held long-poll
// answers after a callback is stored, and the memory of the relay process holding many idle
// long-polls, the last two both over plain HTTP/1.1 and over TLS (HTTP/2, with a self-signed
// certificate made at run time); then writes its section of BENCHMARKS.md.
//
//	go run ./internal/bench/relay [-stores sqlite,postgres] [-postgres-url URL] [-relay-bin PATH] [-out BENCHMARKS.md]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/bench/benchmd"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/testsupport/relayproc"
)

// options are the benchmark's settings.
type options struct {
	stores      []string
	postgresURL string
	relayBin    string
	out         string
	senders     int
	callbacks   int
	wakeups     int
	idle        int
	streams     int
}

func main() {
	o, err := parseFlags()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench-relay:", err)
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "bench-relay:", err)
		os.Exit(1)
	}
}

func parseFlags() (options, error) {
	var o options
	var stores string
	defaultPG := os.Getenv("THINGSPACE_TEST_POSTGRES_URL")
	if defaultPG == "" {
		defaultPG = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	flag.StringVar(&stores, "stores", "sqlite,postgres", "stores to measure, comma-separated")
	flag.StringVar(&o.postgresURL, "postgres-url", defaultPG, "PostgreSQL server (default $THINGSPACE_TEST_POSTGRES_URL, else the local server)")
	flag.StringVar(&o.relayBin, "relay-bin", "", "measure this thingspace-relay binary instead of building the checkout's (to compare two builds under the same load)")
	flag.StringVar(&o.out, "out", "", "markdown file to update (default BENCHMARKS.md at the module root; \"-\" for none)")
	flag.IntVar(&o.senders, "senders", 64, "concurrent ingest connections")
	flag.IntVar(&o.callbacks, "callbacks", 30000, "callbacks sent in the throughput run")
	flag.IntVar(&o.wakeups, "wakeups", 300, "long-poll wake-ups measured")
	flag.IntVar(&o.idle, "idle", 10000, "idle long-polls held for the memory measurement")
	flag.IntVar(&o.streams, "streams-per-conn", 50, "idle long-polls per HTTP/2 connection over TLS (one connection per simulated provider)")
	flag.Parse()
	if o.streams < 1 {
		return o, fmt.Errorf("-streams-per-conn must be at least 1")
	}
	o.stores = strings.Split(stores, ",")
	for _, s := range o.stores {
		if s != "sqlite" && s != "postgres" {
			return o, fmt.Errorf("unknown store %q in -stores: use sqlite and/or postgres", s)
		}
	}
	if o.out == "" {
		root, err := moduleRoot()
		if err != nil {
			return o, err
		}
		o.out = filepath.Join(root, "BENCHMARKS.md")
	}
	return o, nil
}

func run(o options) error {
	if err := raiseFileLimit(); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "bench-relay-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	bin := o.relayBin
	if bin == "" {
		if bin, err = relayproc.Build(ctx, dir); err != nil {
			return err
		}
	}
	cert, err := selfSignedCert(dir)
	if err != nil {
		return fmt.Errorf("making the relay's TLS certificate: %w", err)
	}
	env := machineInfo()
	fmt.Printf("machine: %d cores, %s, %s/%s\n", env.cores, env.goVersion, runtime.GOOS, runtime.GOARCH)
	var results []result
	for _, store := range o.stores {
		res, err := measureStore(ctx, o, bin, dir, store, cert)
		if err != nil {
			return fmt.Errorf("%s: %w", store, err)
		}
		res.print()
		results = append(results, res)
	}
	env.loadAfter = loadAverage()
	fmt.Printf("load average (1 min): %s before, %s after\n", env.loadBefore, env.loadAfter)
	if o.out == "-" {
		return nil
	}
	if err := benchmd.WriteSection(o.out, "relay", renderSection(env, o, results)); err != nil {
		return err
	}
	fmt.Println("updated", o.out)
	return nil
}

// measureStore runs the measurements, each against a fresh relay process and store, so one
// cannot disturb the next (nor the memory high-water mark).
func measureStore(ctx context.Context, o options, bin, dir, store string, cert *relayTLS) (result, error) {
	res := result{store: store}
	fmt.Printf("== %s\n", store)
	phases := []struct {
		name string
		tls  *relayTLS
		run  func(endpoint) error
	}{
		{"ingest", nil, func(e endpoint) (err error) { res.ingest, err = measureIngest(e, o.senders, o.callbacks); return err }},
		{"wake", nil, func(e endpoint) (err error) { res.wake, err = measureWake(e, o.wakeups); return err }},
		{"idle", nil, func(e endpoint) (err error) { res.idle, err = measureIdle(e, o.idle); return err }},
		{"wake-tls", cert, func(e endpoint) (err error) { res.wakeTLS, err = measureWake(e, o.wakeups); return err }},
		{"idle-tls", cert, func(e endpoint) (err error) { res.idleTLS, err = measureIdleStreams(e, o.idle, o.streams); return err }},
	}
	for _, phase := range phases {
		if err := withRelay(ctx, o, bin, dir, store, phase.name, phase.tls, phase.run); err != nil {
			return res, err
		}
	}
	return res, nil
}

// Credentials of the benchmarked relay.
const (
	benchUser  = "bench-listener"
	benchPass  = "bench-listener-password"
	benchToken = "bench-read-token"
)

// withRelay starts the relay on a fresh store (serving TLS with cert unless it is nil), runs f,
// and stops it (SIGTERM, clean exit expected).
func withRelay(ctx context.Context, o options, bin, dir, store, phase string, cert *relayTLS, f func(endpoint) error) error {
	dsn, cleanup, err := freshStore(ctx, o, dir, store, phase)
	if err != nil {
		return err
	}
	defer cleanup()
	args := []string{"--listen", "127.0.0.1:0", "--store", dsn, "--log-level", "warn"}
	if cert != nil {
		args = append(args, "--tls-cert", cert.certFile, "--tls-key", cert.keyFile)
	}
	p, err := relayproc.Start(bin, args, []string{
		"THINGSPACE_RELAY_CALLBACK_USERNAME=" + benchUser,
		"THINGSPACE_RELAY_CALLBACK_PASSWORD=" + benchPass,
		"THINGSPACE_RELAY_READ_TOKEN=" + benchToken,
	})
	if err != nil {
		return err
	}
	e := endpoint{proc: p, url: p.URL}
	if cert != nil {
		e.url, e.tls = "https://"+p.Addr, cert.client
	}
	runErr := f(e)
	stopErr := p.Stop()
	if runErr != nil {
		return fmt.Errorf("%s: %w\nrelay log:\n%s", phase, runErr, tail(p.Logs(), 2000))
	}
	if stopErr != nil {
		return fmt.Errorf("%s: the relay did not stop cleanly: %v\n%s", phase, stopErr, tail(p.Logs(), 2000))
	}
	return nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// raiseFileLimit lifts the soft open-file limit to the hard one: ten thousand long-polls need
// as many sockets on each side. The relay child inherits it.
func raiseFileLimit() error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	lim.Cur = lim.Max
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the current directory: run from inside the module or pass -out")
		}
		dir = parent
	}
}

type machine struct {
	cores                 int
	goVersion             string
	date                  string
	loadBefore, loadAfter string
}

func machineInfo() machine {
	return machine{cores: runtime.NumCPU(), goVersion: runtime.Version(), date: time.Now().UTC().Format("2006-01-02"), loadBefore: loadAverage()}
}

// loadAverage is the 1-minute load average, to tell a quiet machine from a busy one.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if fields := strings.Fields(string(data)); err == nil && len(fields) > 0 {
		return fields[0]
	}
	return "unknown"
}
