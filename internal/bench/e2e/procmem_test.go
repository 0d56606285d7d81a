package main

import (
	"fmt"
	"os"
	"slices"
	"testing"
	"time"
)

func TestParseStatCountsFieldsFromTheLastParenthesis(t *testing.T) {
	for stat, want := range map[string]procStat{
		"4242 (terraform-provider-thingspace) S 4200 4242 4200 0 -1 4194560 1393 0 0 0 250 37 0 0 20 0 9 0": {4200, 2870 * time.Millisecond},
		"77 (sh (local) exec)) R 76 77 1 0 -1 0 0 0 0 0 1 2 0 0":                                            {76, 30 * time.Millisecond},
	} {
		got, ok := parseStat([]byte(stat))
		if !ok || got != want {
			t.Errorf("parseStat(%q) = %+v, %v; want %+v", stat, got, ok, want)
		}
	}
	for _, bad := range []string{"12 no parenthesis", "12 (short) S 1 2 3", "12 (x) S one 2 3 4 5 6 7 8 9 10 11 12"} {
		if _, ok := parseStat([]byte(bad)); ok {
			t.Errorf("parseStat(%q) accepted", bad)
		}
	}
}

func TestDescendantsWalksTheWholeTree(t *testing.T) {
	procs := map[int]procStat{10: {parent: 1}, 11: {parent: 10}, 12: {parent: 10}, 13: {parent: 11}, 20: {parent: 1}, 21: {parent: 20}}
	got := descendants(10, procs)
	slices.Sort(got)
	if !slices.Equal(got, []int{11, 12, 13}) {
		t.Fatalf("descendants(10) = %v, want [11 12 13]", got)
	}
}

func TestStatusKiBReadsOneLine(t *testing.T) {
	status := []byte("Name:\tsh\nVmPeak:\t  9000 kB\nVmHWM:\t    2048 kB\nVmRSS:\t    1536 kB\n")
	if got := statusKiB(status, "VmHWM:"); got != 2048 {
		t.Errorf("VmHWM = %d, want 2048", got)
	}
	if got := statusKiB(status, "VmSwap:"); got != 0 {
		t.Errorf("absent key = %d, want 0", got)
	}
}

// The test process is its parent's descendant, and /proc describes it truthfully.
func TestProcessTreeOfThisProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc on this system: the benchmark measures memory only on Linux")
	}
	me, parent := os.Getpid(), os.Getppid()
	procs := readProcs(listPIDs())
	if got := descendants(parent, procs); !slices.Contains(got, me) {
		t.Fatalf("pid %d is not listed below its parent %d: %v", me, parent, got)
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", me))
	if err != nil || statusKiB(status, "VmHWM:") <= 0 {
		t.Fatalf("VmHWM of this process unreadable: %v", err)
	}
}
