// Package localprovider builds this provider and installs the build where Terraform finds it
// without a registry. `make demo`, the end-to-end benchmark and the tests that drive a real
// Terraform CLI all run the binary they have just built, fully offline, and never depend on
// the machine's own CLI configuration (TF_CLI_CONFIG_FILE may even name a missing file).
package localprovider

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

const (
	// Source is the provider's address in required_providers.
	Source = "euicc-ops/thingspace"
	// Binary is the executable name Terraform looks for.
	Binary = "terraform-provider-thingspace"

	// module is the provider's main package, buildable from anywhere inside the module.
	module = "github.com/euicc-ops/terraform-provider-thingspace"
	// mirrorVersion is the version a local build has in the filesystem mirror.
	mirrorVersion = "0.0.1"
)

// Build compiles the provider into dir and returns the binary's path.
func Build(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, Binary)
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, module).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("building the provider: %w\n%s", err, out)
	}
	return bin, nil
}

// WriteCLIConfig puts binary in a filesystem mirror under dir and writes dir/terraform.rc,
// a CLI configuration that installs the provider from that mirror, so `terraform init` works
// offline exactly as users install providers. With devOverrides, every command also uses the
// binary where it is, as provider developers run it (init then only warns). It returns the
// configuration's path, for TF_CLI_CONFIG_FILE.
func WriteCLIConfig(dir, binary string, devOverrides bool) (string, error) {
	mirror := filepath.Join(dir, "mirror")
	// Source means a provider of Terraform's default registry to Terraform and of OpenTofu's to
	// OpenTofu, and a mirror is searched under the full address: the build is under both.
	for _, host := range []string{"registry.terraform.io", "registry.opentofu.org"} {
		pkg := filepath.Join(mirror, host, Source, mirrorVersion, runtime.GOOS+"_"+runtime.GOARCH)
		if err := os.MkdirAll(pkg, 0o755); err != nil {
			return "", err
		}
		if err := linkOrCopy(binary, filepath.Join(pkg, Binary)); err != nil {
			return "", fmt.Errorf("installing the provider in the mirror: %w", err)
		}
	}
	overrides := ""
	if devOverrides {
		overrides = fmt.Sprintf("  dev_overrides {\n    %q = %q\n  }\n", Source, filepath.Dir(binary))
	}
	config := fmt.Sprintf(`provider_installation {
%s  filesystem_mirror {
    path    = %q
    include = [%q]
  }
  direct {
    exclude = [%q]
  }
}
`, overrides, mirror, Source, Source)
	path := filepath.Join(dir, "terraform.rc")
	return path, os.WriteFile(path, []byte(config), 0o600)
}

// linkOrCopy hard-links src to dst, copying it when they are on different file systems.
func linkOrCopy(src, dst string) error {
	if os.Link(src, dst) == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
