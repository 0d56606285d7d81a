package benchmd

import (
	"strings"
	"testing"
)

const relaySection = "<!-- BEGIN relay -->\n## Relay\n| a | b |\n<!-- END relay -->"

func TestReplaceSectionKeepsTheRelaySection(t *testing.T) {
	first := ReplaceSection("# Benchmarks\n\n"+relaySection+"\n", "e2e", "## End to end\nv1\n")
	if !strings.Contains(first, relaySection) {
		t.Fatalf("relay section changed:\n%s", first)
	}
	if strings.Index(first, BeginMarker("e2e")) < strings.Index(first, relaySection) {
		t.Fatalf("e2e markers created above the relay section:\n%s", first)
	}
	second := ReplaceSection(first, "e2e", "## End to end\nv2\n")
	if strings.Contains(second, "v1") || !strings.Contains(second, "v2") || strings.Count(second, BeginMarker("e2e")) != 1 {
		t.Fatalf("section not replaced in place:\n%s", second)
	}
	if second != strings.Replace(first, "v1", "v2", 1) {
		t.Fatalf("more than the section changed:\n%s", second)
	}
}

func TestReplaceSectionKeepsTheOtherSections(t *testing.T) {
	other := "<!-- BEGIN e2e -->\n## End to end\n<!-- END e2e -->"
	first := ReplaceSection("# Benchmarks\n\n"+other+"\n", "soak", "## Soak\nv1\n")
	second := ReplaceSection(first, "soak", "## Soak\nv2\n")
	if !strings.Contains(second, other) || strings.Count(second, BeginMarker("soak")) != 1 || second != strings.Replace(first, "v1", "v2", 1) {
		t.Fatalf("section not replaced in place:\n%s", second)
	}
}

func TestReplaceSectionCreatesTheFile(t *testing.T) {
	got := ReplaceSection("", "e2e", "## End to end\n")
	if !strings.HasPrefix(got, "# Benchmarks\n") || !strings.Contains(got, BeginMarker("e2e")+"\n## End to end\n"+EndMarker("e2e")) {
		t.Fatalf("new file:\n%s", got)
	}
}
