package localprovider

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestWriteCLIConfigInstallsTheBinaryInAMirror(t *testing.T) {
	for _, devOverrides := range []bool{false, true} {
		dir := t.TempDir()
		bin := filepath.Join(t.TempDir(), Binary)
		if err := os.WriteFile(bin, []byte("binary"), 0o755); err != nil {
			t.Fatal(err)
		}
		path, err := WriteCLIConfig(dir, bin, devOverrides)
		if err != nil {
			t.Fatal(err)
		}
		installed := filepath.Join(dir, "mirror", "registry.terraform.io", Source, mirrorVersion, runtime.GOOS+"_"+runtime.GOARCH, Binary)
		if data, err := os.ReadFile(installed); err != nil || string(data) != "binary" {
			t.Fatalf("mirror holds %q, %v; want the binary", data, err)
		}
		config, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(config), "filesystem_mirror") {
			t.Errorf("configuration has no filesystem_mirror:\n%s", config)
		}
		if got := strings.Contains(string(config), "dev_overrides"); got != devOverrides {
			t.Errorf("dev_overrides present = %v, want %v:\n%s", got, devOverrides, config)
		}
	}
}
