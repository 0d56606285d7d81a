//go:build unix

package acctest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Process is a terraform command running in the background, in a process group of its own so
// that a test can interrupt it as Ctrl-C in a terminal does (the whole foreground group gets
// SIGINT, provider plugins included) and check that nothing of it is left behind.
type Process struct {
	t    testing.TB
	pgid int
	done chan struct{}
	err  error // the command's exit; read after done is closed

	mu     sync.Mutex
	output bytes.Buffer
	lines  []string
	seen   chan struct{} // closed and replaced whenever a line arrives
}

// Start starts terraform in the background. The process group is killed when the test ends,
// whatever state it is in, so a hung run cannot outlive its test.
func (c *CLI) Start(t testing.TB, env []string, args ...string) *Process {
	t.Helper()
	cmd := c.Command(context.Background(), env, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	reader, writer := io.Pipe()
	cmd.Stdout, cmd.Stderr = writer, writer
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting terraform: %v", err)
	}
	p := &Process{t: t, pgid: cmd.Process.Pid, done: make(chan struct{}), seen: make(chan struct{})}
	go p.collect(reader)
	go func() {
		p.err = cmd.Wait()
		writer.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(-p.pgid, syscall.SIGKILL)
		<-p.done
	})
	return p
}

func (p *Process) collect(r io.Reader) {
	scanner := bufio.NewScanner(r)
	scanner.Buffer(make([]byte, 64<<10), 4<<20)
	for scanner.Scan() {
		p.mu.Lock()
		p.output.WriteString(scanner.Text() + "\n")
		p.lines = append(p.lines, scanner.Text())
		close(p.seen)
		p.seen = make(chan struct{})
		p.mu.Unlock()
	}
	_, _ = io.Copy(io.Discard, r)
}

// AwaitLine blocks until the output holds a line containing text, and fails the test if the
// process ends first or nothing comes within awaitLimit.
func (p *Process) AwaitLine(text string) {
	p.t.Helper()
	deadline := time.After(awaitLimit)
	for checked := 0; ; {
		p.mu.Lock()
		lines, seen := p.lines, p.seen
		p.mu.Unlock()
		for ; checked < len(lines); checked++ {
			if strings.Contains(lines[checked], text) {
				return
			}
		}
		select {
		case <-seen:
		case <-p.done:
			p.t.Fatalf("terraform ended before printing %q:\n%s", text, p.Output())
		case <-deadline:
			p.t.Fatalf("terraform did not print %q within %s:\n%s", text, awaitLimit, p.Output())
		}
	}
}

// Interrupt sends SIGINT to the process group, as pressing Ctrl-C in a terminal does.
func (p *Process) Interrupt() {
	p.t.Helper()
	if err := syscall.Kill(-p.pgid, syscall.SIGINT); err != nil {
		p.t.Fatalf("interrupting terraform: %v", err)
	}
}

// Wait waits for terraform to exit, and fails the test if it has not within awaitLimit: a run
// that does not end is the hang the test is there to catch.
func (p *Process) Wait() error {
	p.t.Helper()
	select {
	case <-p.done:
		return p.err
	case <-time.After(awaitLimit):
		p.t.Fatalf("terraform did not exit within %s:\n%s", awaitLimit, p.Output())
		return nil
	}
}

// Output is everything terraform printed so far, stdout and stderr interleaved.
func (p *Process) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.output.String()
}

// AwaitGroupGone blocks until no process of the group is left (provider plugins included),
// and fails the test if one still runs after awaitLimit.
func (p *Process) AwaitGroupGone() {
	p.t.Helper()
	if err := awaitCondition(context.Background(), func() bool { return len(groupMembers(p.pgid)) == 0 }); err != nil {
		p.t.Fatalf("processes of the terraform run are still running: %v", groupMembers(p.pgid))
	}
}

// groupMembers lists the live processes of a process group. Where /proc exists zombies are
// left out, since they have exited and only wait for a parent that may never reap them (a
// container's init); elsewhere signal 0 tells whether any member is left.
func groupMembers(pgid int) []string {
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil || len(stats) == 0 {
		if errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH) {
			return nil
		}
		return []string{fmt.Sprintf("process group %d", pgid)}
	}
	var members []string
	for _, path := range stats {
		data, err := os.ReadFile(path)
		if err != nil {
			continue // exited meanwhile
		}
		// pid (comm) state ppid pgrp ...; comm may hold spaces and parentheses.
		stat := string(data)
		end := strings.LastIndexByte(stat, ')')
		if end < 0 {
			continue
		}
		fields := strings.Fields(stat[end+1:])
		if len(fields) < 3 || fields[0] == "Z" || fields[2] != strconv.Itoa(pgid) {
			continue
		}
		members = append(members, strings.TrimSpace(stat[:end+1]))
	}
	return members
}
