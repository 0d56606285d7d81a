package main

import (
	"strings"
	"testing"
	"time"
)

const relaySection = "<!-- BEGIN relay -->\n## Relay\n| a | b |\n<!-- END relay -->"

func TestReplaceSectionKeepsTheRelaySection(t *testing.T) {
	first := replaceSection("# Benchmarks\n\n"+relaySection+"\n", "## End to end\nv1\n")
	if !strings.Contains(first, relaySection) {
		t.Fatalf("relay section changed:\n%s", first)
	}
	if strings.Index(first, beginMarker) < strings.Index(first, relaySection) {
		t.Fatalf("e2e markers created above the relay section:\n%s", first)
	}
	second := replaceSection(first, "## End to end\nv2\n")
	if strings.Contains(second, "v1") || !strings.Contains(second, "v2") || strings.Count(second, beginMarker) != 1 {
		t.Fatalf("section not replaced in place:\n%s", second)
	}
	if second != strings.Replace(first, "v1", "v2", 1) {
		t.Fatalf("more than the section changed:\n%s", second)
	}
}

func TestReplaceSectionCreatesTheFile(t *testing.T) {
	got := replaceSection("", "## End to end\n")
	if !strings.HasPrefix(got, "# Benchmarks\n") || !strings.Contains(got, beginMarker+"\n## End to end\n"+endMarker) {
		t.Fatalf("new file:\n%s", got)
	}
}

func TestPercentileIsNearestRank(t *testing.T) {
	ds := []time.Duration{5, 1, 4, 2, 3}
	for p, want := range map[float64]time.Duration{50: 3, 90: 5, 100: 5, 0: 1} {
		if got := percentile(ds, p); got != want {
			t.Errorf("p%.0f = %d, want %d", p, got, want)
		}
	}
	if percentile(nil, 50) != 0 {
		t.Error("percentile of nothing is not 0")
	}
}
