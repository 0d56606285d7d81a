#!/usr/bin/env bash
# Builds a Terraform or OpenTofu CLI of the test matrix from its Go module and prints its absolute
# path (./bin/NAME) on stdout; progress goes to stderr.
#
#   scripts/cli.sh terraform-1.8.5     the oldest Terraform the provider supports
#   scripts/cli.sh terraform-1.14.4    the newest Terraform
#   scripts/cli.sh tofu-1.12.6         the newest OpenTofu
#   scripts/cli.sh --list              the matrix, one name a line
#
# Only the Go module proxy is needed: release downloads are not reachable on every machine. A
# build is kept in a cache outside the clone, ${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-thingspace/cli/NAME,
# so a fresh clone on the same machine (CI) does not build again; ./bin/NAME links to it.
set -euo pipefail

matrix=(terraform-1.8.5 terraform-1.14.4 tofu-1.12.6)

if [ "${1:-}" = --list ]; then
  printf '%s\n' "${matrix[@]}"
  exit 0
fi
[ $# -eq 1 ] || { echo "usage: $0 NAME|--list (NAME one of: ${matrix[*]})" >&2; exit 2; }

name=$1
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/bin"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-thingspace/cli/$name"
version=${name#*-}
program=${name%%-*}

fail() {
  echo "error: building $name: $* (the output above says why)." >&2
  echo "A download error: check that 'go env GOPROXY' reaches proxy.golang.org. Then run 'scripts/cli.sh $name'" >&2
  echo "again, or put a $program $version binary at $cache/$program and rerun." >&2
  exit 1
}

usable() { # usable PATH: true when PATH runs and reports exactly the wanted version
  local out
  out=$("$1" version -json 2>/dev/null) || return 1
  grep -Eq "\"(terraform_version|opentofu_version|version)\": *\"$version\"" <<<"$out"
}

link() { # point ./bin/NAME at the cached binary and print the path make and the tests use
  mkdir -p "$bin"
  ln -sfn "$cache/$program" "$bin/$name"
  echo "$bin/$name"
}

if [ -x "$cache/$program" ] && usable "$cache/$program"; then
  link
  exit 0
fi

# The -dev marker every source build carries unless told otherwise would make the CLI report
# 1.14.4-dev, which version checks (tfversion.SkipBelow) treat as older than 1.14.4.
release_flags() { echo "-X github.com/$1/version.dev=no"; }

mkdir -p "$cache"
work=$(mktemp -d "$cache/build.XXXXXX")
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
start=$(date +%s)

case $name in
terraform-1.8.5)
  # The newest Terraform whose go.mod has no replace directives, so go install takes it as is.
  echo "Building Terraform $version with go install (a few minutes)..." >&2
  GOBIN="$work" go install -ldflags "$(release_flags hashicorp/terraform)" "github.com/hashicorp/terraform@v$version" >&2 ||
    fail "go install github.com/hashicorp/terraform@v$version failed"
  ;;

terraform-1.14.4)
  # go install refuses Terraform 1.9+: its go.mod replaces the remote-state backends (azurerm,
  # consul, cos, gcs, kubernetes, oci, oss, pg, s3) and internal/legacy, which only they use, with
  # nested modules. A module zip leaves nested modules out and the proxy does not publish them,
  # so they cannot be had at all. The build is made from a writable copy of the module with:
  #   - go.mod: those ten replace directives and their requirements dropped;
  #   - internal/backend/init/init.go: the nine backends' imports and entries of the backend map
  #     dropped. The local backend (all the tests use), http, inmem, remote and cloud remain;
  #     `terraform init` with a dropped backend says "Unsupported backend type".
  echo "Downloading the github.com/hashicorp/terraform@v$version module..." >&2
  dir=$(go mod download -json "github.com/hashicorp/terraform@v$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [ -n "$dir" ] && [ -d "$dir" ] || fail "go mod download github.com/hashicorp/terraform@v$version failed"
  cp -r "$dir" "$work/src" && chmod -R u+w "$work/src"
  nested=(azure consul cos gcs kubernetes oci oss pg s3)
  edits=()
  for b in "${nested[@]}"; do
    edits+=(-dropreplace="github.com/hashicorp/terraform/internal/backend/remote-state/$b"
      -droprequire="github.com/hashicorp/terraform/internal/backend/remote-state/$b")
  done
  edits+=(-dropreplace=github.com/hashicorp/terraform/internal/legacy -droprequire=github.com/hashicorp/terraform/internal/legacy)
  (cd "$work/src" && go mod edit "${edits[@]}") || fail "go mod edit failed"
  init="$work/src/internal/backend/init/init.go"
  sed -i -E \
    -e '/^\s*backend[A-Za-z0-9]+ "github.com\/hashicorp\/terraform\/internal\/backend\/remote-state\/(azure|consul|cos|gcs|kubernetes|oci|oss|pg|s3)"$/d' \
    -e '/^\s*"(azurerm|consul|cos|gcs|kubernetes|oci|oss|pg|s3)": +func\(\) backend\.Backend \{ return backend[A-Za-z0-9]+\.New\(\) \},$/d' \
    "$init"
  # A new Terraform version may import or register its backends differently: say so rather than
  # build something else.
  if grep -Eq 'remote-state/(azure|consul|cos|gcs|kubernetes|oci|oss|pg|s3)"|"(azurerm|s3|gcs)": ' "$init" ||
    grep -q 'terraform/internal/backend/remote-state/\|terraform/internal/legacy' "$work/src/go.mod"; then
    fail "the nested-module backends are still referenced after editing go.mod and $init; update the edits in $0"
  fi
  echo "Building Terraform $version from its module, without the nested-module backends (several minutes)..." >&2
  (cd "$work/src" && go build -trimpath -ldflags "$(release_flags hashicorp/terraform)" -o "$work/$program" .) >&2 ||
    fail "go build of Terraform $version failed"
  ;;

tofu-1.12.6)
  # go install refuses OpenTofu: its go.mod replaces hashicorp/hcl/v2 with OpenTofu's fork. That
  # fork is an ordinary module on the proxy, so the main package builds unchanged in the module,
  # where the replace applies, against the module's own go.sum.
  echo "Downloading the github.com/opentofu/opentofu@v$version module..." >&2
  dir=$(go mod download -json "github.com/opentofu/opentofu@v$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [ -n "$dir" ] && [ -d "$dir" ] || fail "go mod download github.com/opentofu/opentofu@v$version failed"
  echo "Building OpenTofu $version from its module (several minutes)..." >&2
  (cd "$dir" && go build -trimpath -ldflags "$(release_flags opentofu/opentofu)" -o "$work/$program" ./cmd/tofu) >&2 ||
    fail "go build of OpenTofu $version failed"
  ;;

*)
  echo "error: unknown CLI '$name'; the matrix is: ${matrix[*]}" >&2
  exit 2
  ;;
esac

usable "$work/$program" || fail "the built $work/$program does not report version $version"
mv "$work/$program" "$cache/$program"
echo "Built $name in $(($(date +%s) - start))s: $cache/$program" >&2
link
