package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/terraformcmd"
)

// terraform runs the Terraform CLI in the demo's working directory.
type terraform struct {
	path string
	dir  string
	env  []string
}

// run runs one Terraform command with its output on the terminal; a Ctrl-C stops it gracefully
// (terraformcmd.Command).
func (t *terraform) run(ctx context.Context, args ...string) error {
	cmd := terraformcmd.Command(ctx, t.path, t.dir, t.env, args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return t.wait(ctx, cmd, args, nil)
}

// runQuiet runs one Terraform command and shows its output only if it fails.
func (t *terraform) runQuiet(ctx context.Context, args ...string) error {
	cmd := terraformcmd.Command(ctx, t.path, t.dir, t.env, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	return t.wait(ctx, cmd, args, &out)
}

func (t *terraform) wait(ctx context.Context, cmd *exec.Cmd, args []string, output *bytes.Buffer) error {
	err := cmd.Run()
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case output != nil:
		return fmt.Errorf("terraform %s: %w\n%s", args[0], err, output)
	default:
		return fmt.Errorf("terraform %s: %w", args[0], err)
	}
}

// findTerraform asks scripts/terraform.sh for a Terraform CLI of 1.8 or newer; it installs one
// into ./bin when none is on PATH.
func findTerraform(ctx context.Context, root string) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(root, "scripts", "terraform.sh"))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", errors.New("no Terraform CLI 1.8+ found or installed (see the messages above)")
	}
	return strings.TrimSpace(string(out)), nil
}

// copyDir copies the *.tf files of src into a new directory dst, so that Terraform's working
// files never land in the repository.
func copyDir(src, dst string) error {
	files, err := filepath.Glob(filepath.Join(src, "*.tf"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no Terraform configuration in %s", src)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, filepath.Base(f)), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
