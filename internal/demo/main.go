// Command demo is what `make demo` runs: the provider's main job, end to end, on one machine with
// nothing but Go. It builds the provider, the relay and the simulator, starts the simulator and
// the relay on loopback (the relay on a port ThingSpace delivers callbacks to), runs
// `terraform init` and `apply` on examples/demo, which registers the relay as the account's
// DeviceProfileService listener, reads the account's active devices, downloads and then enables
// the profile on each, shows the outputs, destroys (deleting the profiles and deregistering the
// listener), and stops everything it started.
//
// Everything lives in one temporary directory that is removed at the end, so the demo can run
// twice in a row, and Ctrl-C stops Terraform gracefully and then cleans up the same way.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/localprovider"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/simulator"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

const (
	// demoDir holds the Terraform configuration the demo applies.
	demoDir = "examples/demo"
)

func main() {
	os.Exit(run())
}

func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	d, err := newDemo()
	if err != nil {
		fail(err)
		return 1
	}
	err = d.run(ctx)
	// Clean up with a context of its own: after Ctrl-C the main one is already done.
	d.cleanup()
	switch {
	case ctx.Err() != nil:
		say("Interrupted: Terraform was stopped, the relay and the simulator too, and %s is gone.", d.tmp)
		return 130
	case err != nil:
		fail(err)
		return 1
	}
	say("Demo complete: the relay registered, two eSIM profiles enabled and recorded in state, then destroyed. Nothing is left running.")
	return 0
}

// demo is one run: its temporary directory and the processes it started.
type demo struct {
	root      string // repository root
	tmp       string // everything the run writes
	bin       string // built binaries
	processes []*process

	callbackUser, callbackPassword, readToken string
}

func newDemo() (*demo, error) {
	root, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return nil, errors.New("run the demo from the repository root: make demo")
	}
	tmp, err := os.MkdirTemp("", "thingspace-demo-")
	if err != nil {
		return nil, err
	}
	return &demo{
		root:             root,
		tmp:              tmp,
		bin:              filepath.Join(tmp, "bin"),
		callbackUser:     "demo-callbacks",
		callbackPassword: randomSecret(),
		readToken:        randomSecret(),
	}, nil
}

func (d *demo) run(ctx context.Context) error {
	step("Building terraform-provider-thingspace, thingspace-relay and thingspace-simulator")
	if err := d.build(ctx); err != nil {
		return err
	}
	tf, err := findTerraform(ctx, d.root)
	if err != nil {
		return err
	}
	say("Terraform CLI: %s", tf)

	simURL, err := d.startSimulator(ctx)
	if err != nil {
		return err
	}
	relayURL, err := d.startRelay(ctx)
	if err != nil {
		return err
	}
	work := filepath.Join(d.tmp, "work")
	if err := copyDir(filepath.Join(d.root, demoDir), work); err != nil {
		return err
	}
	// dev_overrides makes every command use the fresh binary; the mirror holding the same
	// binary lets `terraform init` succeed offline.
	cliConfig, err := localprovider.WriteCLIConfig(d.tmp, filepath.Join(d.bin, localprovider.Binary), true)
	if err != nil {
		return err
	}
	t := &terraform{path: tf, dir: work, env: d.terraformEnv(cliConfig, simURL, relayURL)}

	step("terraform init: installs the provider just built from a local mirror (no download)")
	if err := t.runQuiet(ctx, "init", "-input=false"); err != nil {
		return err
	}
	say("Terraform warns below that development overrides are in effect: that is this build of the provider.")
	step("terraform apply: registers the relay as the callback listener, reads the account's active devices, " +
		"downloads the profile on each, then enables it: the devices answer within a second, one sends a warning " +
		"first, then succeeds (" + demoScenario + ")")
	if err := t.run(ctx, "apply", "-input=false", "-auto-approve", "-compact-warnings"); err != nil {
		return err
	}
	step("The result, as recorded in Terraform state (terraform output)")
	if err := t.run(ctx, "output"); err != nil {
		return err
	}
	step("terraform destroy: Terraform forgets the enablement, deletes the downloaded profiles (delete_on_destroy) " +
		"and deregisters the listener")
	return t.run(ctx, "destroy", "-input=false", "-auto-approve", "-compact-warnings")
}

// build compiles the three programs into the run's bin directory.
func (d *demo) build(ctx context.Context) error {
	for _, b := range []struct{ out, pkg string }{
		{localprovider.Binary, "."},
		{"thingspace-relay", "./cmd/thingspace-relay"},
		{"thingspace-simulator", "./cmd/thingspace-simulator"},
	} {
		if err := runQuiet(ctx, d.root, "go", "build", "-o", filepath.Join(d.bin, b.out), b.pkg); err != nil {
			return fmt.Errorf("building %s: %w", b.pkg, err)
		}
	}
	return nil
}

// startServer runs one of the built programs in the background, stopped with the others at the
// end, and returns the URL it reports on stream (found by address) once it serves.
func (d *demo) startServer(ctx context.Context, name string, args, env []string, stream string, address func(string) (string, bool)) (string, error) {
	p, err := startProcess(ctx, name, filepath.Join(d.bin, name), args, env, d.tmp)
	if err != nil {
		return "", err
	}
	d.processes = append(d.processes, p)
	return p.waitForLine(ctx, stream, address, 30*time.Second)
}

// startSimulator runs thingspace-simulator with the demo's scenario and returns its URL.
func (d *demo) startSimulator(ctx context.Context) (string, error) {
	scenario := filepath.Join(d.root, demoScenario)
	url, err := d.startServer(ctx, "thingspace-simulator", []string{"--listen", "127.0.0.1:0", "--scenario", scenario}, nil,
		"stdout", simulatorAddress)
	if err != nil {
		return "", err
	}
	step("thingspace-simulator serves ThingSpace's API on %s", url)
	return url, nil
}

// startRelay runs thingspace-relay on SQLite in the temporary directory and returns its URL.
// It listens on a port ThingSpace delivers callbacks to, or the listener's registration would
// be refused.
func (d *demo) startRelay(ctx context.Context) (string, error) {
	port, err := freeCallbackPort()
	if err != nil {
		return "", err
	}
	store := "sqlite:" + filepath.Join(d.tmp, "relay.db")
	env := []string{
		"THINGSPACE_RELAY_CALLBACK_USERNAME=" + d.callbackUser,
		"THINGSPACE_RELAY_CALLBACK_PASSWORD=" + d.callbackPassword,
		"THINGSPACE_RELAY_READ_TOKEN=" + d.readToken,
	}
	url, err := d.startServer(ctx, "thingspace-relay",
		[]string{"--listen", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), "--store", store}, env, "stderr", relayAddress)
	if err != nil {
		return "", err
	}
	step("thingspace-relay stores callbacks in %s and serves them on %s", strings.TrimPrefix(store, "sqlite:"), url)
	return url, nil
}

// terraformEnv configures the provider entirely through its environment variables, and the
// configuration's variables through TF_VAR_*, the way a CI pipeline would.
func (d *demo) terraformEnv(cliConfig, simURL, relayURL string) []string {
	return []string{
		"TF_CLI_CONFIG_FILE=" + cliConfig,
		"CHECKPOINT_DISABLE=1",
		"TF_IN_AUTOMATION=1",
		"THINGSPACE_BASE_URL=" + simURL,
		"THINGSPACE_CLIENT_ID=" + simulator.DefaultClientID,
		"THINGSPACE_CLIENT_SECRET=" + simulator.DefaultClientSecret,
		"THINGSPACE_USERNAME=" + simulator.DefaultUsername,
		"THINGSPACE_PASSWORD=" + simulator.DefaultPassword,
		"THINGSPACE_ACCOUNT_NAME=" + simulator.DefaultAccount,
		"THINGSPACE_SMSR_OID=" + demoSmsrOid,
		"THINGSPACE_RELAY_URL=" + relayURL,
		"THINGSPACE_RELAY_TOKEN=" + d.readToken,
		"TF_VAR_relay_callback_url=" + relayURL + "/callbacks",
		"TF_VAR_relay_callback_username=" + d.callbackUser,
		"TF_VAR_relay_callback_password=" + d.callbackPassword,
	}
}

// cleanup stops every process the demo started, newest first, and removes its directory.
func (d *demo) cleanup() {
	for i := len(d.processes) - 1; i >= 0; i-- {
		d.processes[i].stop()
	}
	if len(d.processes) > 0 {
		say("Stopped the relay and the simulator.")
	}
	if err := os.RemoveAll(d.tmp); err != nil {
		fail(fmt.Errorf("removing %s: %w", d.tmp, err))
	}
}

func randomSecret() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func step(format string, args ...any) { fmt.Printf("\n==> "+format+"\n", args...) }
func say(format string, args ...any)  { fmt.Printf(format+"\n", args...) }
func fail(err error)                  { fmt.Fprintf(os.Stderr, "\ndemo failed: %v\n", err) }

// freeCallbackPort finds a loopback port ThingSpace would deliver callbacks to that nothing
// listens on. The ports below 1024 would need privileges, so they are not tried.
func freeCallbackPort() (int, error) {
	for _, r := range thingspace.CallbackPortRanges() {
		for port := max(r.First, 1024); port <= r.Last; port++ {
			l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
			if err != nil {
				continue
			}
			_ = l.Close()
			return port, nil
		}
	}
	return 0, fmt.Errorf("every loopback port ThingSpace delivers callbacks to (%s) is taken: stop a previous demo or "+
		"another relay and run it again", thingspace.CallbackPortsText())
}
