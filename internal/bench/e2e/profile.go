package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/localprovider"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/provider"
)

// Profiling a plan needs no change to the provider binary: the benchmark serves the provider
// itself, as a debugger would (-debug), and Terraform reattaches to it through
// TF_REATTACH_PROVIDERS. The benchmark's own CPU profile then shows the provider's work. The
// simulator and the relay in the same process are idle during a plan (it reads nothing), so
// what the profile and the process's CPU time add up is the provider's.

// profiledPlan is one plan against the provider served in the benchmark process.
type profiledPlan struct {
	*run
	// providerCPU is the benchmark process's CPU time during the plan (getrusage).
	providerCPU time.Duration
}

// profilePlan plans t's configuration against a provider served here, with stackEnv as the
// provider's environment, and writes the CPU profile of that plan to path.
func profilePlan(ctx context.Context, t *terraform, stackEnv []string, path string) (p profiledPlan, err error) {
	return profileRun(ctx, t, stackEnv, path, func(t *terraform, env string) (*run, error) { return t.plan(ctx, env) })
}

// profileRun is profilePlan for any command: do runs it with env, TF_REATTACH_PROVIDERS.
func profileRun(ctx context.Context, t *terraform, stackEnv []string, path string,
	do func(t *terraform, env string) (*run, error)) (p profiledPlan, err error) {
	defer restoreEnv(os.Environ())
	for _, e := range stackEnv {
		name, value, _ := strings.Cut(e, "=")
		_ = os.Setenv(name, value)
	}
	// As main.go does before serving: Terraform filters the provider's logs, so the plugin
	// libraries should not produce what it would discard; and the same garbage collector
	// settings.
	provider.AlignLogLevelsWithTerraform()
	defer debug.SetGCPercent(debug.SetGCPercent(200))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(1 << 30))

	ctx, stop := context.WithCancel(ctx)
	defer stop()
	reattach := make(chan *plugin.ReattachConfig, 1)
	closed := make(chan struct{})
	served := make(chan error, 1)
	go func() {
		served <- tf6server.Serve("registry.terraform.io/"+localprovider.Source, providerserver.NewProtocol6(provider.New("bench")()),
			tf6server.WithDebug(ctx, reattach, closed), tf6server.WithGoPluginLogger(hclog.NewNullLogger()))
	}()
	var cfg *plugin.ReattachConfig
	select {
	case cfg = <-reattach:
	case err := <-served:
		return p, fmt.Errorf("serving the provider for profiling: %w", err)
	}
	defer func() {
		stop()
		<-closed
	}()
	env, err := reattachEnv(cfg)
	if err != nil {
		return p, err
	}

	f, err := os.Create(path)
	if err != nil {
		return p, err
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	if err := pprof.StartCPUProfile(f); err != nil {
		return p, err
	}
	unwatched := *t
	unwatched.unwatched = true
	before := selfCPU()
	p.run, err = do(&unwatched, env)
	p.providerCPU = selfCPU() - before
	pprof.StopCPUProfile()
	return p, err
}

// reattachEnv is TF_REATTACH_PROVIDERS for the provider served at cfg.
func reattachEnv(cfg *plugin.ReattachConfig) (string, error) {
	type addr struct{ Network, String string }
	type reattach struct {
		Protocol        string
		ProtocolVersion int
		Pid             int
		Test            bool
		Addr            addr
	}
	data, err := json.Marshal(map[string]reattach{"registry.terraform.io/" + localprovider.Source: {
		Protocol: string(cfg.Protocol), ProtocolVersion: cfg.ProtocolVersion, Pid: cfg.Pid, Test: cfg.Test,
		Addr: addr{Network: cfg.Addr.Network(), String: cfg.Addr.String()},
	}})
	return "TF_REATTACH_PROVIDERS=" + string(data), err
}

// restoreEnv makes this process's environment environ again.
func restoreEnv(environ []string) {
	os.Clearenv()
	for _, e := range environ {
		name, value, _ := strings.Cut(e, "=")
		_ = os.Setenv(name, value)
	}
}

// selfCPU is this process's CPU time so far (user + system).
func selfCPU() time.Duration {
	var u syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &u)
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
