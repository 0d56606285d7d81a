package acctest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/localprovider"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/provider"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/testsupport"
)

// CLI runs the real Terraform CLI against a provider binary built from this module, as a user
// does: separate processes, a working directory holding the configuration and the state file.
// terraform-plugin-testing serves the provider in-process and hides the state file; tests that
// send signals, read the raw state or need production settings throughout use this instead.
type CLI struct {
	// Dir is the working directory: main.tf and terraform.tfstate.
	Dir       string
	terraform string
	env       []string
}

// NewCLI prepares a working directory and a CLI configuration whose dev_overrides point
// Terraform at the provider binary (built once per test binary: the package's TestMain calls
// testsupport.Main), so nothing from the machine's own configuration or plugin cache is used.
func NewCLI(t testing.TB) *CLI {
	t.Helper()
	terraform := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if terraform == "" {
		var err error
		if terraform, err = exec.LookPath("terraform"); err != nil {
			t.Fatal("no Terraform CLI: set TF_ACC_TERRAFORM_PATH (make test does) or put terraform on PATH")
		}
	}
	binary, err := testsupport.BuildOnce(localprovider.Binary, func(dir string) (string, error) {
		return localprovider.Build(context.Background(), dir)
	})
	if err != nil {
		t.Fatal(err)
	}
	plugins := t.TempDir()
	rc, err := localprovider.WriteCLIConfig(plugins, binary, true)
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"TF_CLI_CONFIG_FILE=" + rc, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "TF_INPUT=0"}
	for _, kv := range os.Environ() {
		// Nothing of the machine's Terraform or provider settings may leak into the run.
		if !strings.HasPrefix(kv, "TF_") && !strings.HasPrefix(kv, "THINGSPACE_") {
			env = append(env, kv)
		}
	}
	return &CLI{Dir: t.TempDir(), terraform: terraform, env: env}
}

// WriteConfig writes the configuration Terraform runs, main.tf, after the required_providers
// block that names this provider's source.
func (c *CLI) WriteConfig(t testing.TB, hcl string) {
	t.Helper()
	required := fmt.Sprintf("terraform {\n  required_providers {\n    thingspace = { source = %q }\n  }\n}\n", localprovider.Source)
	if err := os.WriteFile(filepath.Join(c.Dir, "main.tf"), []byte(required+hcl), 0o600); err != nil {
		t.Fatal(err)
	}
}

// Command prepares a terraform command in the working directory; env adds variables
// ("NAME=value") to the prepared environment.
func (c *CLI) Command(ctx context.Context, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, c.terraform, args...)
	cmd.Dir = c.Dir
	cmd.Env = append(slices.Clone(c.env), env...)
	return cmd
}

// Run runs terraform to the end and returns its combined output.
func (c *CLI) Run(ctx context.Context, env []string, args ...string) (string, error) {
	var out bytes.Buffer
	cmd := c.Command(ctx, env, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// RawState returns terraform.tfstate as written.
func (c *CLI) RawState(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(c.Dir, "terraform.tfstate"))
	if err != nil {
		t.Fatalf("reading the state file: %v", err)
	}
	return data
}

// StateFile is the part of terraform.tfstate (format version 4) tests look at.
type StateFile struct {
	Resources []struct {
		Mode      string `json:"mode"` // "managed" or "data"
		Type      string `json:"type"`
		Name      string `json:"name"`
		Instances []struct {
			IndexKey            any               `json:"index_key"`
			Status              string            `json:"status"` // "tainted" or ""
			Attributes          map[string]any    `json:"attributes"`
			SensitiveAttributes []json.RawMessage `json:"sensitive_attributes"`
		} `json:"instances"`
	} `json:"resources"`
}

// State parses terraform.tfstate.
func (c *CLI) State(t testing.TB) StateFile {
	t.Helper()
	var s StateFile
	if err := json.Unmarshal(c.RawState(t), &s); err != nil {
		t.Fatalf("parsing the state file: %v", err)
	}
	return s
}

// Environment turns provider settings (by attribute name, as Env.Settings returns them) into
// the THINGSPACE_* variables a user would export, for CLI runs configured without secrets in
// the configuration.
func Environment(settings map[string]string) []string {
	variables := provider.EnvironmentVariables()
	var env []string
	for _, attribute := range slices.Sorted(maps.Keys(settings)) {
		if variable, ok := variables[attribute]; ok {
			env = append(env, variable+"="+settings[attribute])
		}
	}
	return env
}

// CLIVersion is what a Terraform or OpenTofu CLI says it is.
type CLIVersion struct {
	// Product is "Terraform" or "OpenTofu".
	Product      string
	Major, Minor int
	// Text is the version as printed, for skip messages ("1.14.4").
	Text string
}

// Version asks the CLI what it is (`version`, whose first line is "Terraform v1.14.4" or
// "OpenTofu v1.12.6": the JSON form does not name the product).
func (c *CLI) Version(t testing.TB) CLIVersion {
	t.Helper()
	out, err := c.Run(context.Background(), nil, "version")
	var v CLIVersion
	if err == nil {
		_, err = fmt.Sscanf(out, "%s v%d.%d", &v.Product, &v.Major, &v.Minor)
	}
	if err != nil {
		t.Fatalf("terraform version: %v\n%s", err, out)
	}
	v.Text = strings.TrimPrefix(strings.Fields(out)[1], "v")
	return v
}

// AtLeast reports whether the CLI is Terraform major.minor or later.
func (v CLIVersion) AtLeast(major, minor int) bool {
	return v.Product == "Terraform" && (v.Major > major || v.Major == major && v.Minor >= minor)
}

// SkipUnlessActions skips a test of a provider action on a CLI that cannot invoke one:
// actions came with Terraform 1.14, and OpenTofu has none.
func (c *CLI) SkipUnlessActions(t testing.TB) {
	t.Helper()
	switch v := c.Version(t); {
	case v.Product == "OpenTofu":
		t.Skipf("OpenTofu %s has no actions (action blocks, -invoke and action_trigger are Terraform 1.14 features)", v.Text)
	case !v.AtLeast(1, 14):
		t.Skipf("actions need Terraform 1.14 or later, this CLI is %s %s", v.Product, v.Text)
	}
}
