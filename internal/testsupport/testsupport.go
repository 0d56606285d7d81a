// Package testsupport holds what tests across the project share: waiting for a condition that
// can only be observed, output buffers safe to read while a child process writes them, and
// building the project's binaries once per test binary. Its subpackages run the relay as a
// child process (relayproc), give each test its own store (relaytest) and read the relay's
// metrics (relaymetrics).
package testsupport

import (
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
	deadline := time.Now().Add(Patience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", Patience, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
