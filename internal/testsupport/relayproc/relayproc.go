// Package relayproc builds and runs the thingspace-relay binary as a child process, for the
// tests and the benchmark that must exercise the real program: its flags, its first log line,
// its reaction to signals, and what survives a SIGKILL.
package relayproc

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// Package is the relay's main package, built by Build.
const Package = "github.com/euicc-ops/terraform-provider-thingspace/cmd/thingspace-relay"

// Build compiles the relay into dir and returns the binary's path. It must run inside the
// module (any directory of it).
func Build(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "thingspace-relay")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, Package)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", Package, err, out)
	}
	return bin, nil
}

// Process is a running relay.
type Process struct {
	cmd  *exec.Cmd
	Addr string // host:port it listens on, from its first log line
	URL  string // http://Addr

	mu     sync.Mutex
	logs   strings.Builder
	waited chan struct{}
	err    error
}

// Start runs bin with args (env is added to the current environment) and returns once the relay
// has logged that it listens. The first line of its log must be the "listening" line: that is
// part of its contract, since scripts learn the port from it.
func Start(bin string, args, env []string) (*Process, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	p := &Process{cmd: cmd, waited: make(chan struct{})}
	lines := bufio.NewReader(stderr)
	first, readErr := lines.ReadString('\n')
	p.logs.WriteString(first)
	go p.collect(lines)
	if readErr != nil {
		p.Kill()
		return nil, fmt.Errorf("the relay exited before listening: %s", p.Logs())
	}
	var line struct{ Msg, Addr string }
	if err := json.Unmarshal([]byte(first), &line); err != nil || line.Msg != "listening" || line.Addr == "" {
		p.Kill()
		return nil, fmt.Errorf(`the relay's first log line is not {"msg":"listening","addr":...}: %q`, first)
	}
	p.Addr, p.URL = line.Addr, "http://"+line.Addr
	return p, nil
}

// collect keeps the rest of the log (so the child never blocks on a full pipe), then reaps it.
func (p *Process) collect(r io.Reader) {
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		p.mu.Lock()
		p.logs.Write(buf[:n])
		p.mu.Unlock()
		if err != nil {
			break
		}
	}
	p.err = p.cmd.Wait()
	close(p.waited)
}

// Pid is the child's process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Logs is everything the relay has logged so far.
func (p *Process) Logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.logs.String()
}

// Kill sends SIGKILL and waits for the process to be gone.
func (p *Process) Kill() {
	_ = p.cmd.Process.Kill()
	<-p.waited
}

// Stop sends SIGTERM and returns the exit error once the relay has shut down.
func (p *Process) Stop() error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	<-p.waited
	return p.err
}
