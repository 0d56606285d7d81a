package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// process is a background program the demo started (the relay or the simulator). It runs in a
// process group of its own, so that a Ctrl-C in the terminal reaches the demo alone, which then
// stops everything in order.
type process struct {
	name   string
	cmd    *exec.Cmd
	done   chan struct{}
	output *lineLog
}

func startProcess(ctx context.Context, name, path string, args, env []string, dir string) (*process, error) {
	cmd := exec.Command(path, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p := &process{name: name, cmd: cmd, done: make(chan struct{}), output: newLineLog()}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	var readers sync.WaitGroup
	readers.Add(2)
	go func() { defer readers.Done(); p.output.collect("stdout", stdout) }()
	go func() { defer readers.Done(); p.output.collect("stderr", stderr) }()
	go func() {
		readers.Wait() // both pipes drained before Wait closes them
		_ = cmd.Wait()
		close(p.done)
	}()
	return p, ctx.Err()
}

// waitForLine waits until the process prints, on the given stream, a line that parse accepts,
// and returns what parse extracted from it.
func (p *process) waitForLine(ctx context.Context, stream string, parse func(string) (string, bool), timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for seen := 0; ; {
		lines, changed := p.output.since(stream, seen)
		for _, line := range lines {
			if v, ok := parse(line); ok {
				return v, nil
			}
		}
		seen += len(lines)
		select {
		case <-changed:
		case <-p.done:
			return "", fmt.Errorf("%s exited before it was ready:\n%s", p.name, p.output.tail(20))
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return "", fmt.Errorf("%s did not report its address within %s:\n%s", p.name, timeout, p.output.tail(20))
			}
			return "", ctx.Err()
		}
	}
}

// stop asks the process to shut down (SIGTERM, which both programs handle gracefully) and kills
// it if it has not exited after a few seconds.
func (p *process) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

// lineLog keeps a process's output lines per stream and tells waiters when more arrive.
type lineLog struct {
	mu      sync.Mutex
	lines   map[string][]string
	all     []string
	changed chan struct{}
}

func newLineLog() *lineLog {
	return &lineLog{lines: map[string][]string{}, changed: make(chan struct{})}
}

func (l *lineLog) collect(stream string, r io.Reader) {
	scanner := bufio.NewScanner(r)
	scanner.Buffer(make([]byte, 64*1024), 1024*1024)
	for scanner.Scan() {
		l.mu.Lock()
		l.lines[stream] = append(l.lines[stream], scanner.Text())
		l.all = append(l.all, scanner.Text())
		close(l.changed)
		l.changed = make(chan struct{})
		l.mu.Unlock()
	}
}

// since returns the lines of stream after the first n, and a channel closed when more arrive.
func (l *lineLog) since(stream string, n int) ([]string, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines[stream][n:]...), l.changed
}

func (l *lineLog) tail(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	from := max(0, len(l.all)-n)
	return "  " + strings.Join(l.all[from:], "\n  ")
}

// simulatorAddress parses the simulator's one line on stdout.
func simulatorAddress(line string) (string, bool) {
	const prefix = "thingspace-simulator listening on "
	if !strings.HasPrefix(line, prefix) {
		return "", false
	}
	return strings.TrimSpace(strings.TrimPrefix(line, prefix)), true
}

// relayAddress parses the relay's JSON log record that says where it listens.
func relayAddress(line string) (string, bool) {
	var record struct {
		Msg string `json:"msg"`
		URL string `json:"url"`
	}
	if err := json.Unmarshal([]byte(line), &record); err != nil || record.Msg != "listening" || record.URL == "" {
		return "", false
	}
	return record.URL, true
}

// runQuiet runs a command to completion, showing its output only when it fails.
func runQuiet(ctx context.Context, dir, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out.String())
	}
	return nil
}
