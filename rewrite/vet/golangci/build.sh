#!/usr/bin/env bash
# Builds a custom golangci-lint v2 with the txscope module plugin from this
# checkout (`golangci-lint custom`) and runs it on fixtures/example.
#
#   rewrite/vet/golangci/build.sh [DEST]
#
# golangci-lint is installed from the Go module proxy. Not run by CI (it
# needs the proxy). DEST (default: a temporary directory, removed at the
# end) keeps the built binary, DEST/custom-gcl, and the two config files.
#
# `golangci-lint custom` takes golangci-lint's source with
# `git clone --branch VERSION https://github.com/golangci/golangci-lint.git`.
# Where that host cannot be reached, set TXSCOPE_GCL_SOURCE=proxy: a `git`
# shim on PATH answers that one clone with the same tagged source as the
# module proxy serves it (the module cache's copy of
# github.com/golangci/golangci-lint/v2@VERSION); every other git command
# goes to git. The default, TXSCOPE_GCL_SOURCE=git, clones.
#
# Exit status: the linter's (1 when it reports findings, as on the example).
set -euo pipefail

version=${GOLANGCI_LINT_VERSION:-v2.15.0}
repo=$(cd "$(dirname "$0")/../../.." && pwd)
if [ $# -ge 1 ]; then
	dest=$(mkdir -p "$1" && cd "$1" && pwd)
else
	dest=$(mktemp -d)
	trap 'chmod -R u+w "$dest" 2>/dev/null; rm -rf "$dest"' EXIT
fi

echo "== go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$version" >&2
GOBIN="$dest/bin" go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$version"
"$dest/bin/golangci-lint" version >&2

if [ "${TXSCOPE_GCL_SOURCE:-git}" = proxy ]; then
	src="$(go env GOMODCACHE)/github.com/golangci/golangci-lint/v2@$version"
	[ -d "$src" ] || { echo "build.sh: $src missing after go install" >&2; exit 2; }
	mkdir -p "$dest/shim"
	realgit=$(command -v git)
	cat >"$dest/shim/git" <<SHIM
#!/usr/bin/env bash
# golangci-lint custom's clone of its own source, from the module cache.
if [ "\$1" = clone ] && [ "\${@: -1}" = https://github.com/golangci/golangci-lint.git ]; then
	cp -R "$src" golangci-lint && chmod -R u+w golangci-lint
	exit
fi
exec "$realgit" "\$@"
SHIM
	chmod +x "$dest/shim/git"
	export PATH="$dest/shim:$PATH"
fi

cat >"$dest/.custom-gcl.yml" <<YML
version: $version
name: custom-gcl
destination: $dest
plugins:
  - module: github.com/txscope/txscope
    import: github.com/txscope/txscope/rewrite/vet/golangci
    path: $repo
YML
cat >"$dest/.golangci.yml" <<'YML'
version: "2"
run:
  relative-path-mode: wd
linters:
  default: none
  enable:
    - txscope
  settings:
    custom:
      txscope:
        type: module
        description: whole-request tenant transactions and tenant-scoping hazards
        original-url: https://github.com/txscope/txscope
        settings:
          codes: [TS001, TS002, TS003, TS004, TS005, TS006, TS007]
YML

echo "== golangci-lint custom" >&2
(cd "$dest" && "$dest/bin/golangci-lint" custom -v)

echo "== custom-gcl run ./... in fixtures/example" >&2
cd "$repo/fixtures/example"
set +e
"$dest/custom-gcl" run --config "$dest/.golangci.yml" ./...
status=$?
set -e
echo "== exit status $status" >&2
exit $status
