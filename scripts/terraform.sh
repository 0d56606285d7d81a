#!/usr/bin/env bash
# Prints the absolute path of a Terraform CLI the project can use, installing one if needed.
#
# A `terraform` on PATH is used when it is 1.8 or newer. Otherwise Terraform v1.8.5, the oldest
# version the provider supports, is built from its Go module by scripts/cli.sh and linked as
# ./bin/terraform: it needs nothing but the Go module proxy (release downloads are not reachable
# on every machine).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/bin"
min_minor=8
pinned=v1.8.5

usable() { # usable PATH: true when PATH is a Terraform CLI of version 1.8 or newer
  local version
  version=$("$1" version -json 2>/dev/null | sed -n 's/.*"terraform_version": *"\([0-9][0-9.]*\)[^"]*".*/\1/p')
  [ -n "$version" ] || return 1
  local major=${version%%.*} rest=${version#*.}
  local minor=${rest%%.*}
  [ "$major" -gt 1 ] || { [ "$major" -eq 1 ] && [ "$minor" -ge "$min_minor" ]; }
}

if found=$(command -v terraform 2>/dev/null) && usable "$found"; then
  # Resolve to an absolute path: TF_ACC_TERRAFORM_PATH must be one.
  echo "$(cd "$(dirname "$found")" && pwd)/$(basename "$found")"
  exit 0
fi

if [ -x "$bin/terraform" ] && usable "$bin/terraform"; then
  echo "$bin/terraform"
  exit 0
fi

echo "No Terraform CLI 1.8 or newer on PATH: using Terraform $pinned of the test matrix as $bin/terraform..." >&2
# The matrix's build of the same version (scripts/cli.sh), so a machine builds it once; the name
# stays `terraform` because tfplugindocs looks the CLI up by that name on PATH.
path=$("$root/scripts/cli.sh" "terraform-${pinned#v}") || exit 1
ln -sfn "$path" "$bin/terraform"
echo "$bin/terraform"
