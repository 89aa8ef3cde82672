#!/usr/bin/env bash
# Lints .github/workflows with actionlint, built once from the Go module proxy into a cache
# outside the repo (pinned version; later runs take about a second).
set -euo pipefail
version=v1.7.12
cache="${V6K8S_CACHE:-$HOME/.cache/v6k8s}/actionlint-$version"
if [ ! -x "$cache/bin/actionlint" ]; then
    command -v go >/dev/null || { echo "lint-workflows: needs Go to build actionlint $version" >&2; exit 1; }
    echo "lint-workflows: building actionlint $version (first run only)"
    GOBIN="$cache/bin" GOPATH="$cache/gopath" GOFLAGS=-modcacherw go install "github.com/rhysd/actionlint/cmd/actionlint@$version"
fi
cd "$(dirname "$0")/.."
"$cache/bin/actionlint" -no-color
echo "lint-workflows: $(ls .github/workflows | wc -l) workflows clean"
