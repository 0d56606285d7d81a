package provider_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/acctest"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/simulator"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// TestAccDemo_exampleRegistersTheRelayThenEnables applies examples/demo as `make demo` does,
// with the real CLI and the demo's scenario. The relay is not registered beforehand, so the
// download and the enable can only succeed if the configuration's listener carries the
// callbacks to it.
func TestAccDemo_exampleRegistersTheRelayThenEnables(t *testing.T) {
	acctest.SkipUnlessAcceptance(t)
	t.Parallel()
	scenario, err := simulator.LoadScenario(filepath.Join("..", "..", "examples", "demo", "scenario.json"))
	if err != nil {
		t.Fatal(err)
	}
	env := acctest.NewEnv(t, scenario)
	cli, run, callbacksURL := exampleRun(t, env, "demo")
	ctx := context.Background()

	if out, err := cli.Run(ctx, run, "apply", "-auto-approve", "-no-color"); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	for _, action := range []thingspace.ProfileAction{thingspace.ActionDownloadDisable, thingspace.ActionEnable} {
		if got := env.Sim.AcceptedActions(action); got != 1 {
			t.Errorf("the simulator accepted %d %s request(s), want 1", got, action)
		}
	}
	if err := checkRegistered(env, env.AccountName, thingspace.ServiceDeviceProfile, &thingspace.CallbackListener{
		Name: thingspace.ServiceDeviceProfile, URL: callbacksURL,
		Username: env.Relay.CallbackUsername, Password: env.Relay.CallbackPassword})(nil); err != nil {
		t.Error(err)
	}
	for _, r := range cli.State(t).Resources {
		if r.Mode == "managed" && r.Type != "thingspace_callback_listener" && r.Instances[0].Attributes["status"] != "Success" {
			t.Errorf("%s has status %v, want Success", r.Type, r.Instances[0].Attributes["status"])
		}
		if results, _ := r.Instances[0].Attributes["results"].(map[string]any); r.Type == "thingspace_euicc_profile_enablement" && len(results) != 3 {
			t.Errorf("the enablement has results %v, want the 3 active devices", r.Instances[0].Attributes["results"])
		}
	}

	if out, err := cli.Run(ctx, run, "destroy", "-auto-approve", "-no-color"); err != nil {
		t.Fatalf("destroy: %v\n%s", err, out)
	}
	if got := env.Sim.AcceptedActions(thingspace.ActionDelete); got != 1 {
		t.Errorf("the destroy sent %d delete request(s), want 1", got)
	}
	if err := checkRegistered(env, env.AccountName, thingspace.ServiceDeviceProfile, nil)(nil); err != nil {
		t.Error(err)
	}
}

// The write-only password reaches ThingSpace and never the state file, whatever Terraform
// does with the state it is shown.
func TestAccCallbackListener_writeOnlyPasswordNeverInTheStateFile(t *testing.T) {
	acctest.SkipUnlessAcceptance(t)
	t.Parallel()
	env := acctest.NewEnv(t, simulator.Options{})
	cli := acctest.NewCLI(t)
	out, err := cli.Run(context.Background(), nil, "version", "-json")
	var version struct {
		TerraformVersion string `json:"terraform_version"`
	}
	var major, minor int
	if err != nil || json.Unmarshal([]byte(out), &version) != nil {
		t.Fatalf("terraform version: %v\n%s", err, out)
	}
	if _, err := fmt.Sscanf(version.TerraformVersion, "%d.%d", &major, &minor); err != nil || major == 1 && minor < 11 {
		t.Skipf("write-only attributes need Terraform 1.11 or later, not %s", version.TerraformVersion)
	}
	const secret = "never-in-state-3f9a"
	cli.WriteConfig(t, listenerConfig(env, `  url                 = "`+listenerURL+`"
  username            = "thingspace"
  password_wo         = var.password
  password_wo_version = 1
`)+`
variable "password" {
  type      = string
  sensitive = true
  ephemeral = true
}
`)
	if out, err := cli.Run(context.Background(), []string{"TF_VAR_password=" + secret}, "apply", "-auto-approve", "-no-color"); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	if strings.Contains(string(cli.RawState(t)), secret) {
		t.Error("terraform.tfstate holds the write-only password")
	}
	if err := checkRegistered(env, env.AccountName, thingspace.ServiceDeviceProfile, &thingspace.CallbackListener{
		Name: thingspace.ServiceDeviceProfile, URL: listenerURL, Username: "thingspace", Password: secret})(nil); err != nil {
		t.Error(err)
	}
}

// exampleRun prepares a real-CLI run of examples/<name>, whose configuration registers the relay
// itself: the simulator's pre-registered listener is removed, so callbacks reach the relay only
// through the example's thingspace_callback_listener. It returns the CLI, the environment of
// every command (provider settings and the relay's TF_VAR_relay_callback_*), and the callback URL.
func exampleRun(t *testing.T, env *acctest.Env, name string) (*acctest.CLI, []string, string) {
	t.Helper()
	env.Sim.RemoveListener(env.AccountName, thingspace.ServiceDeviceProfile)
	callbacksURL := env.Relay.CallbacksOnAllowedPort(t)
	cli := acctest.NewCLI(t)
	copyConfiguration(t, filepath.Join("..", "..", "examples", name), cli.Dir)
	run := append(acctest.Environment(env.Settings()),
		"TF_VAR_relay_callback_url="+callbacksURL,
		"TF_VAR_relay_callback_username="+env.Relay.CallbackUsername,
		"TF_VAR_relay_callback_password="+env.Relay.CallbackPassword)
	return cli, run, callbacksURL
}

// copyConfiguration copies the *.tf files of src into dst.
func copyConfiguration(t *testing.T, src, dst string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(src, "*.tf"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no configuration in %s: %v", src, err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, filepath.Base(f)), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
