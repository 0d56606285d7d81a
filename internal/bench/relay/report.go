package main

import (
	"fmt"
	"strings"
	"time"
)

// Targets, for the SQLite store on the project's 2-core machine.
const (
	targetPerSecond = 3000.0
	targetIngestP99 = 25 * time.Millisecond
	targetWakeP99   = 10 * time.Millisecond
	targetIdleMB    = 150.0
)

type result struct {
	store         string
	ingest        ingestResult
	wake, wakeTLS wakeResult
	idle, idleTLS idleResult
}

func (r result) print() {
	fmt.Printf("ingest: %d callbacks in %v = %.0f/s, latency p50 %v p99 %v max %v\n",
		r.ingest.callbacks, r.ingest.elapsed.Round(time.Millisecond), r.ingest.perSecond, ms(r.ingest.p50), ms(r.ingest.p99), ms(r.ingest.max))
	fmt.Printf("wake-up after store: %d samples, p50 %v p99 %v max %v\n", r.wake.samples, ms(r.wake.p50), ms(r.wake.p99), ms(r.wake.max))
	fmt.Printf("idle long-polls: %d held, relay RSS %.1f MiB (peak %.1f MiB)\n", r.idle.held, r.idle.rssMB, r.idle.hwmMB)
	fmt.Printf("TLS wake-up after store: %d samples, p50 %v p99 %v max %v\n", r.wakeTLS.samples, ms(r.wakeTLS.p50), ms(r.wakeTLS.p99), ms(r.wakeTLS.max))
	fmt.Printf("TLS idle long-polls: %d held on %d HTTP/2 connections, relay RSS %.1f MiB (peak %.1f MiB)\n",
		r.idleTLS.held, r.idleTLS.conns, r.idleTLS.rssMB, r.idleTLS.hwmMB)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

func renderSection(m machine, o options, results []result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Relay (`thingspace-relay`)\n\n")
	fmt.Fprintf(&b, "Measured %s on %d cores, %s, with the built relay binary as a child process on loopback. "+
		"SQLite runs in WAL mode with `synchronous=FULL`. Each measurement uses a fresh relay and store. "+
		"Load average (1 min) %s before the run and %s after: other work on the machine slows the latencies and the ingest rate, not the memory figures.\n\n",
		m.date, m.cores, m.goVersion, m.loadBefore, m.loadAfter)
	fmt.Fprintf(&b, "- **ingest**: %d distinct ~1 KB callbacks from %d concurrent keep-alive connections; latency is POST to 200 (after the commit).\n", o.callbacks, o.senders)
	fmt.Fprintf(&b, "- **wake-up**: %d held long-polls, each answered by one callback; latency is from the callback's `receivedAt` (taken just before the commit) to the reader holding the answer.\n", o.wakeups)
	fmt.Fprintf(&b, "- **idle memory**: %d long-polls (`wait=60s`, distinct request ids) held at once; VmRSS of the relay process from /proc, and VmHWM (its peak over the run).\n", o.idle)
	fmt.Fprintf(&b, "- **over TLS (HTTP/2)**: the relay serves `--tls-cert`/`--tls-key` with a self-signed certificate made at run time, and clients negotiate HTTP/2 as the provider does. "+
		"Without TLS every poll has a connection of its own (HTTP/1.1); over TLS the %d idle long-polls are streams of %d connections, %d each: "+
		"each connection stands for one provider process (its default transport keeps one HTTP/2 connection to the relay) waiting on as many resources as `terraform apply -parallelism=%d` runs at once. "+
		"The wake-up polls share one connection.\n\n", o.idle, (o.idle+o.streams-1)/o.streams, o.streams, o.streams)
	b.WriteString("| store | figure | measured | target (SQLite) | |\n|---|---|---|---|---|\n")
	for _, r := range results {
		rows := []struct {
			name, got, target string
			ok                bool
		}{
			{"stored callbacks/s", fmt.Sprintf("%.0f", r.ingest.perSecond), fmt.Sprintf(">= %.0f", targetPerSecond), r.ingest.perSecond >= targetPerSecond},
			{"ingest latency p50 / p99", ms(r.ingest.p50) + " / " + ms(r.ingest.p99), "p99 <= " + ms(targetIngestP99), r.ingest.p99 <= targetIngestP99},
			{"wake-up p50 / p99", ms(r.wake.p50) + " / " + ms(r.wake.p99), "p99 <= " + ms(targetWakeP99), r.wake.p99 <= targetWakeP99},
			{fmt.Sprintf("RSS with %d idle long-polls (peak)", r.idle.held), fmt.Sprintf("%.1f MiB (%.1f MiB)", r.idle.rssMB, r.idle.hwmMB), fmt.Sprintf("< %.0f MB", targetIdleMB), r.idle.hwmMB < targetIdleMB},
			{"TLS (HTTP/2): wake-up p50 / p99", ms(r.wakeTLS.p50) + " / " + ms(r.wakeTLS.p99), "p99 <= " + ms(targetWakeP99), r.wakeTLS.p99 <= targetWakeP99},
			{fmt.Sprintf("TLS (HTTP/2): RSS with %d idle long-polls (peak)", r.idleTLS.held), fmt.Sprintf("%.1f MiB (%.1f MiB)", r.idleTLS.rssMB, r.idleTLS.hwmMB), fmt.Sprintf("< %.0f MB", targetIdleMB), r.idleTLS.hwmMB < targetIdleMB},
		}
		for _, row := range rows {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", r.store, row.name, row.got, row.target, verdict(row.ok))
		}
	}
	b.WriteString("\nThe targets are set for SQLite; PostgreSQL figures are reported for comparison (same machine, local server).\n\n")
	b.WriteString("Re-run: `make bench-relay` (or `go run ./internal/bench/relay`; `-stores sqlite` to skip PostgreSQL, " +
		"`-postgres-url` or `THINGSPACE_TEST_POSTGRES_URL` for another server, `-h` for the rest).\n")
	return b.String()
}
