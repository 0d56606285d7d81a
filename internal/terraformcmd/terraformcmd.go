// Package terraformcmd runs the Terraform CLI for the programs that drive it (the demo and the
// benchmarks) so that a Ctrl-C stops Terraform the way a terminal would: gracefully, with its
// state saved.
package terraformcmd

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Command prepares the Terraform CLI at path to run args in dir, with env added to this
// program's environment. Terraform runs in a process group of its own, so a Ctrl-C in the
// terminal reaches this program alone; when ctx ends, Terraform gets the SIGINT a terminal would
// send, and is killed only if it has not exited a minute later.
func Command(ctx context.Context, path, dir string, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = time.Minute
	return cmd
}

// Version is the first line of the CLI's version ("Terraform v1.11.4"), for reports.
func Version(ctx context.Context, path string) (string, error) {
	out, err := exec.CommandContext(ctx, path, "version").Output()
	if err != nil {
		return "", fmt.Errorf("%s version: %w", path, err)
	}
	return strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0]), nil
}
