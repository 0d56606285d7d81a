// Package benchmd writes one benchmark's section of BENCHMARKS.md, so that each benchmark
// program can rewrite its own figures without disturbing the other programs' sections.
package benchmd

import (
	"errors"
	"io/fs"
	"os"
	"strings"
)

// BeginMarker and EndMarker are the HTML comments around the section called name; they do not
// show when the Markdown is rendered.
func BeginMarker(name string) string { return "<!-- BEGIN " + name + " -->" }

// EndMarker closes the section BeginMarker opens.
func EndMarker(name string) string { return "<!-- END " + name + " -->" }

// WriteSection puts section between the markers called name in path, leaving the rest of the
// file (the other benchmarks' sections) as it was. A missing file is created with a title;
// without the markers, the section is appended at the end, below whatever is there.
func WriteSection(path, name, section string) error {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return os.WriteFile(path, []byte(ReplaceSection(string(old), name, section)), 0o644)
}

// ReplaceSection is WriteSection on the file's content.
func ReplaceSection(content, name, section string) string {
	begin, end := BeginMarker(name), EndMarker(name)
	block := begin + "\n" + strings.TrimRight(section, "\n") + "\n" + end
	if content == "" {
		return "# Benchmarks\n\n" + block + "\n"
	}
	before, rest, found := strings.Cut(content, begin)
	if found {
		if _, after, ok := strings.Cut(rest, end); ok {
			return before + block + after
		}
	}
	return strings.TrimRight(content, "\n") + "\n\n" + block + "\n"
}
