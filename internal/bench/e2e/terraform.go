package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/euicc-ops/terraform-provider-thingspace/internal/localprovider"
	"github.com/euicc-ops/terraform-provider-thingspace/internal/terraformcmd"
)

// parallelism is Terraform's -parallelism for every apply and plan.
const parallelism = 50

// terraform runs one Terraform CLI in one working directory.
type terraform struct {
	path string
	dir  string
	env  []string
	// unwatched skips the /proc scans, whose CPU would count as the provider's when the
	// provider runs in the benchmark process (profile.go).
	unwatched bool
}

// run is what one Terraform command did.
type run struct {
	elapsed time.Duration
	// ended is when Terraform exited.
	ended  time.Time
	stdout string
	// lines are stdout's lines with the moment the benchmark read each: Terraform prints a
	// resource's "Creation complete" when it has recorded the resource.
	lines []timedLine
	// exitCode matters for `plan -detailed-exitcode` (2 = changes).
	exitCode int
	// cpu is the CPU time (user + system) of Terraform and every process it started and reaped
	// (rusage): a figure that other load on the machine barely disturbs, unlike wall time.
	cpu   time.Duration
	usage processUsage
}

// exec runs Terraform with args and extra environment, timing it from start to exit and
// watching its children's memory. A non-zero exit is an error unless allowed lists it.
func (t *terraform) exec(ctx context.Context, extraEnv []string, allowed []int, args ...string) (*run, error) {
	cmd := terraformcmd.Command(ctx, t.path, t.dir, append(slices.Clip(t.env), extraEnv...), args...)
	var stdout timedLines
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting terraform %s: %w", args[0], err)
	}
	var watch *memoryWatch
	if !t.unwatched {
		watch = watchMemory(cmd.Process.Pid, localprovider.Binary)
	}
	err := cmd.Wait()
	ended := time.Now()
	r := &run{elapsed: ended.Sub(start), ended: ended, stdout: stdout.all.String(), lines: stdout.lines}
	if watch != nil {
		r.usage = watch.finish()
	}
	if cmd.ProcessState != nil {
		r.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		r.exitCode = exitErr.ExitCode()
		for _, code := range allowed {
			if code == r.exitCode {
				err = nil
			}
		}
	}
	if err != nil {
		return r, fmt.Errorf("terraform %s in %s: %w\n%s%s", strings.Join(args, " "), t.dir, err, tail(stdout.all.String(), 30), tail(stderr.String(), 30))
	}
	return r, nil
}

func (t *terraform) init(ctx context.Context) error {
	_, err := t.exec(ctx, nil, nil, "init", "-input=false", "-no-color")
	return err
}

func (t *terraform) apply(ctx context.Context) (*run, error) {
	return t.exec(ctx, nil, nil, "apply", "-input=false", "-auto-approve", "-no-color", fmt.Sprintf("-parallelism=%d", parallelism))
}

// plan refreshes every resource and fails unless the plan is empty: a refresh that finds a
// change would mean the apply did not record what it did.
func (t *terraform) plan(ctx context.Context, extraEnv ...string) (*run, error) {
	r, err := t.exec(ctx, extraEnv, []int{2}, "plan", "-input=false", "-no-color", "-detailed-exitcode", fmt.Sprintf("-parallelism=%d", parallelism))
	if err == nil && r.exitCode != 0 {
		return r, fmt.Errorf("terraform plan in %s found changes after the apply:\n%s", t.dir, tail(r.stdout, 40))
	}
	return r, err
}

func tail(s string, lines int) string {
	all := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n") + "\n"
}

// timedLine is one line of output and when it arrived.
type timedLine struct {
	text string
	at   time.Time
}

// timedLines collects a command's output as it arrives, noting when each line was complete.
// Terraform writes its output unbuffered, so that is when Terraform printed it.
type timedLines struct {
	mu      sync.Mutex
	all     bytes.Buffer
	partial []byte
	lines   []timedLine
}

func (t *timedLines) Write(p []byte) (int, error) {
	at := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.all.Write(p)
	t.partial = append(t.partial, p...)
	for {
		i := bytes.IndexByte(t.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		t.lines = append(t.lines, timedLine{text: string(t.partial[:i]), at: at})
		t.partial = t.partial[i+1:]
	}
}

// phases says when, from its start, a run printed each line that marks a step of one
// resource's apply (refresh started, change started, change complete, state written): where an
// update's time goes.
func (r *run) phases() string {
	start := r.ended.Add(-r.elapsed)
	var out []string
	for _, l := range r.lines {
		for _, step := range []string{"Refreshing state", "Modifying...", "Modifications complete", "Apply complete"} {
			if strings.Contains(l.text, step) {
				out = append(out, fmt.Sprintf("%s at %s", strings.TrimSuffix(step, "..."), secs(l.at.Sub(start))))
			}
		}
	}
	return strings.Join(out, ", ")
}
