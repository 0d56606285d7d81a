package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// sampleInterval spaces /proc scans: short next to a run of seconds, long enough that the
// scans cost little of the two cores the benchmark measures on. During the first
// quickSampling of a command the scans come every quickInterval instead, so the provider
// processes a short plan starts (each lives a few tens of milliseconds) are seen too.
const (
	sampleInterval = 100 * time.Millisecond
	quickInterval  = 20 * time.Millisecond
	quickSampling  = 2 * time.Second
)

// clockTicks is USER_HZ, the unit of CPU times in /proc/PID/stat: 100 on every Linux
// architecture Go supports.
const clockTicks = 100

// memoryWatch follows the processes Terraform starts, through /proc, while one command runs.
// Terraform starts the provider several times per command (schema, validation, plan, apply),
// so it tracks every process, not one pid.
type memoryWatch struct {
	root           int    // Terraform's pid
	providerPrefix string // executable base-name prefix of the provider

	stop chan struct{}
	done chan struct{}

	// Written by the scanning goroutine only, read after it ends.
	usage processUsage
	// providerCPU is the last CPU time seen per provider process: a process that exits between
	// two scans loses at most one interval of it.
	providerCPU map[int]time.Duration
}

// processUsage is what a watch saw.
type processUsage struct {
	// providerPeakKiB is the highest VmHWM of any provider process.
	providerPeakKiB int64
	// providerCPU is the CPU time (user + system) of all provider processes.
	providerCPU time.Duration
	// treePeakKiB and treeAnonPeakKiB are the highest sums, at one instant, of VmRSS and of
	// RssAnon (private memory, without shared libraries) over Terraform's descendants: for
	// the shell-script variant, its sh, curl and sleep processes.
	treePeakKiB, treeAnonPeakKiB int64
}

func watchMemory(root int, providerPrefix string) *memoryWatch {
	w := &memoryWatch{root: root, providerPrefix: providerPrefix, stop: make(chan struct{}), done: make(chan struct{}),
		providerCPU: map[int]time.Duration{}}
	go w.loop()
	return w
}

func (w *memoryWatch) loop() {
	defer close(w.done)
	start := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-timer.C:
		}
		w.scan()
		if time.Since(start) < quickSampling {
			timer.Reset(quickInterval)
		} else {
			timer.Reset(sampleInterval)
		}
	}
}

// finish stops the watch and returns what it saw.
func (w *memoryWatch) finish() processUsage {
	close(w.stop)
	<-w.done
	for _, cpu := range w.providerCPU {
		w.usage.providerCPU += cpu
	}
	return w.usage
}

// scan reads the process tree under Terraform once.
func (w *memoryWatch) scan() {
	var rss, anon int64
	procs := readProcs(listPIDs())
	for _, pid := range descendants(w.root, procs) {
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			continue // exited meanwhile
		}
		rss += statusKiB(status, "VmRSS:")
		anon += statusKiB(status, "RssAnon:")
		if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); err == nil && strings.HasPrefix(filepath.Base(exe), w.providerPrefix) {
			w.usage.providerPeakKiB = max(w.usage.providerPeakKiB, statusKiB(status, "VmHWM:"))
			w.providerCPU[pid] = procs[pid].cpu
		}
	}
	w.usage.treePeakKiB = max(w.usage.treePeakKiB, rss)
	w.usage.treeAnonPeakKiB = max(w.usage.treeAnonPeakKiB, anon)
}

func listPIDs() []int {
	entries, _ := os.ReadDir("/proc")
	pids := make([]int, 0, len(entries))
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// procStat is what the benchmark reads from /proc/PID/stat.
type procStat struct {
	parent int
	cpu    time.Duration // user + system
}

// readProcs reads the stat of each pid; processes that exit meanwhile are left out.
func readProcs(pids []int) map[int]procStat {
	procs := make(map[int]procStat, len(pids))
	for _, pid := range pids {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		if p, ok := parseStat(stat); ok {
			procs[pid] = p
		}
	}
	return procs
}

// parseStat reads /proc/PID/stat: "pid (comm) state ppid ... utime stime ...". The command
// name may itself hold spaces and parentheses, so fields are counted from its last ')'.
func parseStat(stat []byte) (procStat, bool) {
	end := bytes.LastIndexByte(stat, ')')
	if end < 0 {
		return procStat{}, false
	}
	// After the name: state(0) ppid(1) ... utime(11) stime(12).
	fields := strings.Fields(string(stat[end+1:]))
	if len(fields) < 13 {
		return procStat{}, false
	}
	ppid, err1 := strconv.Atoi(fields[1])
	utime, err2 := strconv.ParseInt(fields[11], 10, 64)
	stime, err3 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return procStat{}, false
	}
	return procStat{parent: ppid, cpu: time.Duration(utime+stime) * time.Second / clockTicks}, true
}

// descendants lists every process below root (root itself excluded).
func descendants(root int, procs map[int]procStat) []int {
	children := map[int][]int{}
	for pid, p := range procs {
		children[p.parent] = append(children[p.parent], pid)
	}
	var out []int
	queue := []int{root}
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		for _, child := range children[pid] {
			out = append(out, child)
			queue = append(queue, child)
		}
	}
	return out
}

// statusKiB reads one "Key:   1234 kB" line of /proc/PID/status; 0 when absent (kernel threads,
// zombies).
func statusKiB(status []byte, key string) int64 {
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, key); ok {
			fields := strings.Fields(rest)
			if len(fields) > 0 {
				n, _ := strconv.ParseInt(fields[0], 10, 64)
				return n
			}
		}
	}
	return 0
}
