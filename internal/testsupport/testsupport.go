// Package testsupport holds what tests across the project share: waiting for a condition that
// can only be observed, output buffers safe to read while a child process writes them, and
// building the project's binaries once per test binary. Its subpackages run the relay as a
// child process (relayproc), give each test its own store (relaytest) and read the relay's
// metrics (relaymetrics).
package testsupport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Patience bounds how long a test waits for something that must happen, so a bug fails the
// test instead of hanging it; it is never what a test measures.
const Patience = 30 * time.Second

// Eventually polls cond until it holds, failing the test after Patience: for things that can
// only be observed, not awaited.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	if err := Await(cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// Await polls cond until it holds, and returns an error after Patience: for goroutines that
// wait for a point in a scenario and cannot call t.Fatal.
func Await(cond func() bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), Patience)
	defer cancel()
	if Poll(ctx, cond) != nil {
		return fmt.Errorf("the awaited condition did not hold within %s", Patience)
	}
	return nil
}

// Poll checks cond every PollInterval until it holds or ctx ends.
func Poll(ctx context.Context, cond func() bool) error {
	tick := time.NewTicker(PollInterval)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	return nil
}

// PollInterval spaces the checks of Poll: short, so tests do not idle, and long enough not to
// busy the machine's two cores.
const PollInterval = 5 * time.Millisecond

// SyncBuffer is a bytes.Buffer that a server's or a child process's goroutines may write while
// the test reads it.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// builds holds what BuildOnce compiled in this test binary, in one directory Main removes.
var builds struct {
	mu      sync.Mutex
	dir     string // "" until Main runs
	results map[string]buildResult
}

type buildResult struct {
	path string
	err  error
}

// Main runs a package's tests and then removes what BuildOnce built. A package whose tests use
// BuildOnce calls it from TestMain: os.Exit(testsupport.Main(m)).
func Main(m *testing.M) int {
	dir, err := os.MkdirTemp("", "thingspace-test-builds-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsupport:", err)
		return 1
	}
	builds.mu.Lock()
	builds.dir, builds.results = dir, map[string]buildResult{}
	builds.mu.Unlock()
	defer os.RemoveAll(dir)
	return m.Run()
}

// BuildOnce runs build (which compiles a program into the directory it is given and returns
// the binary's path) the first time name is asked for in this test binary, and returns the same
// binary to every later caller: a package's tests share one build instead of one each.
func BuildOnce(name string, build func(dir string) (string, error)) (string, error) {
	builds.mu.Lock()
	defer builds.mu.Unlock()
	if builds.dir == "" {
		return "", errors.New("testsupport.BuildOnce needs the package's TestMain to call testsupport.Main")
	}
	if r, ok := builds.results[name]; ok {
		return r.path, r.err
	}
	dir := filepath.Join(builds.dir, name)
	path, err := "", os.MkdirAll(dir, 0o755)
	if err == nil {
		path, err = build(dir)
	}
	builds.results[name] = buildResult{path, err}
	return path, err
}
