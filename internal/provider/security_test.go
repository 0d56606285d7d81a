package provider_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/acctest"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/profileops"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/simulator"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/thingspace"
)

// The secrets tests run the provider as users do, a binary driven by the real Terraform CLI and
// configured through THINGSPACE_* variables, with every kind of secret it handles in play: the
// configured ones, the tokens it obtains at run time (learned by a tap in front of the
// simulator), the relay's callback password, and a device credential password that a callback
// carries into the sensitive results.credential_password attribute.

// secretsRun is one apply and one refresh of a resource with all those secrets.
type secretsRun struct {
	cli *acctest.CLI
	// secrets maps each secret value to what it is, for failure messages.
	secrets        map[string]string
	devicePassword string
	eid            string
	output         string
}

func runWithSecrets(t *testing.T, extraEnv ...string) *secretsRun {
	t.Helper()
	env := acctest.NewEnv(t, simulator.Options{})
	tap := acctest.NewTap(t, env.Sim.URL())
	d := eids(1)[0]
	run := &secretsRun{devicePassword: "device-pw-" + acctest.RandomSecret(t), eid: d.eid}
	// The device stays silent and its callbacks are posted here, so that the device password
	// differs from every other value (the simulator's equals the MDN, as in Verizon's example).
	env.Sim.SetDevice(d.eid, simulator.DeviceBehavior{Outcome: simulator.OutcomeSilence})
	env.WhenAccepted(t, thingspace.ActionEnable, 1, func() error {
		requestID := env.Sim.Device(d.eid).LastRequestID
		if err := env.Relay.TryPost(callbackFor(requestID, d, thingspace.CallbackStatusWarning)); err != nil {
			return err
		}
		return env.Relay.TryPost(successWithCredential(requestID, d, run.devicePassword))
	})

	run.cli = acctest.NewCLI(t)
	run.cli.WriteConfig(t, `provider "thingspace" {}`+resourceOnly(d))
	settings := env.Settings()
	settings["base_url"] = tap.URL()
	vars := append(acctest.Environment(settings), extraEnv...)
	for _, args := range [][]string{
		{"apply", "-auto-approve", "-no-color"},
		{"plan", "-no-color", "-detailed-exitcode"}, // a refresh reads the stored callbacks again
	} {
		out, err := run.cli.Run(context.Background(), vars, args...)
		run.output += out
		if err != nil {
			t.Fatalf("terraform %s: %v\n%s", args[0], err, out)
		}
	}

	run.secrets = map[string]string{
		settings["client_secret"]:  "client_secret",
		settings["password"]:       "password",
		settings["relay_token"]:    "relay_token",
		env.Relay.CallbackPassword: "relay callback password",
		run.devicePassword:         "device credential password",
	}
	seen := map[string]bool{}
	for value, what := range tap.Credentials() {
		run.secrets[value] = "obtained " + what
		seen[what] = true
	}
	if !seen["bearer"] || !seen["session token"] {
		t.Fatalf("the tap saw credentials %v; without a bearer and a session token the test proves nothing", seen)
	}
	return run
}

// successWithCredential is a device's final success callback whose network credential
// password is the given one.
func successWithCredential(requestID string, d device, password string) map[string]any {
	cb := callbackFor(requestID, d, thingspace.CallbackStatusSuccess)
	cb["deviceResponse"] = map[string]any{"deviceProfileResponse": map[string]any{
		"deviceIdentifierCollection": []map[string]string{{"id": d.iccid, "kind": "iccid"}, {"id": d.eid, "kind": "eid"}},
		"ipAddress":                  "10.1.2.3", "state": "Active", "profileStatus": "enable",
		"deviceCredential": map[string]string{"username": "2022326360@vzw4g.com", "password": password},
	}}
	return cb
}

// leaks lists, by what they are, the secrets text holds.
func (r *secretsRun) leaks(text string) []string {
	var found []string
	for value, what := range r.secrets {
		if strings.Contains(text, value) {
			found = append(found, what)
		}
	}
	return found
}

func TestAccSecurity_traceLogHoldsNoSecret(t *testing.T) {
	acctest.SkipUnlessAcceptance(t)
	t.Parallel()
	logPath := filepath.Join(t.TempDir(), "terraform.log")
	run := runWithSecrets(t, "TF_LOG=TRACE", "TF_LOG_PATH="+logPath)
	data, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatalf("reading the trace log: %v", err)
	}
	log := string(data)
	// The log must hold the provider's own lines, or finding no secret in it proves nothing.
	for _, want := range []string{profileops.MsgFinalAnswer, "ThingSpace request answered"} {
		if !strings.Contains(log, want) {
			t.Fatalf("the trace log lacks %q: is the provider logging elsewhere?", want)
		}
	}
	if found := run.leaks(log); len(found) > 0 {
		t.Errorf("the TRACE log holds: %s", strings.Join(found, ", "))
	}
	if found := run.leaks(run.output); len(found) > 0 {
		t.Errorf("terraform's output holds: %s", strings.Join(found, ", "))
	}
}

// credentialPasswordPath is the one place in a state file a device password may be: under the
// sensitive results.<eid>.credential_password of a resource instance.
var credentialPasswordPath = regexp.MustCompile(`^resources\[\d+\]\.instances\[\d+\]\.attributes\.results\.\d+\.credential_password$`)

func TestAccSecurity_stateHoldsSecretsOnlyInSensitiveAttributes(t *testing.T) {
	acctest.SkipUnlessAcceptance(t)
	t.Parallel()
	run := runWithSecrets(t)
	var state any
	if err := json.Unmarshal(run.cli.RawState(t), &state); err != nil {
		t.Fatalf("parsing the state file: %v", err)
	}
	devicePasswordAt := ""
	walkStrings("", state, func(at, value string) {
		for _, what := range run.leaks(value) {
			if what == "device credential password" && credentialPasswordPath.MatchString(at) {
				devicePasswordAt = at
				continue
			}
			t.Errorf("the state file holds the %s at %s", what, at)
		}
	})
	if devicePasswordAt == "" {
		t.Fatal("the device password is not in the state at all: the test would prove nothing")
	}
	if !markedSensitive(t, run.cli.State(t), run.eid) {
		t.Errorf("%s is not listed in the instance's sensitive_attributes", devicePasswordAt)
	}
}

// walkStrings calls visit with every string in v (decoded JSON) and where it is.
func walkStrings(at string, v any, visit func(at, value string)) {
	switch v := v.(type) {
	case string:
		visit(at, v)
	case map[string]any:
		for key, value := range v {
			walkStrings(strings.TrimPrefix(at+"."+key, "."), value, visit)
		}
	case []any:
		for i, value := range v {
			walkStrings(fmt.Sprintf("%s[%d]", at, i), value, visit)
		}
	}
}

// markedSensitive reports whether the state marks results[eid].credential_password sensitive.
func markedSensitive(t *testing.T, state acctest.StateFile, eid string) bool {
	t.Helper()
	for _, r := range state.Resources {
		for _, instance := range r.Instances {
			for _, raw := range instance.SensitiveAttributes {
				text := string(raw)
				if strings.Contains(text, `"results"`) && strings.Contains(text, eid) && strings.Contains(text, `"credential_password"`) {
					return true
				}
			}
		}
	}
	return false
}
