#!/usr/bin/env bash
# Builds the stack's binaries from their published Go modules at pinned versions, into a cache
# outside the repo keyed by version. A no-op for every binary already present.
#
# Recipe (upstream go.mod files carry replace/exclude lines that `go install pkg@v` refuses):
# download the module zip through the proxy, copy it somewhere writable, and `go build` there
# with upstream's own go.mod and go.sum. Nested modules named by a local replace are not in the
# parent's zip, so they are downloaded on their own and copied into place.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"
cache=${STACK_CACHE_DIR:-$HOME/.cache/observability-kit/stack}
mkdir -p "$cache/src" "$cache/bin"
export GOWORK=off GOFLAGS=-mod=mod GOTOOLCHAIN=local

module_dir() { # module@version -> directory in the module cache
  go mod download -json "$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); e=d.get("Error"); print(d["Dir"]) if not e else sys.exit("go mod download: "+e)'
}

# prepare NAME MODULE@VERSION -> writable source tree (fresh each time)
prepare() {
  local src="$cache/src/$1"
  rm -rf "$src"
  cp -r "$(module_dir "$2")" "$src"
  chmod -R u+w "$src"
  echo "$src"
}

# nested SRC MODULE@VERSION DIR: put a separately published nested module where a local replace expects it
nested() {
  rm -rf "${1:?}/$3"
  cp -r "$(module_dir "$2")" "$1/$3"
  chmod -R u+w "$1/$3"
}

timed() { # NAME BIN... -- command: builds unless every BIN exists
  local name=$1; shift
  local bins=()
  while [ "$1" != "--" ]; do bins+=("$1"); shift; done; shift
  local missing=0
  for b in "${bins[@]}"; do [ -x "$cache/bin/$b" ] || missing=1; done
  if [ $missing = 0 ]; then echo "stack:build: $name already built (${bins[*]})"; return 0; fi
  echo "stack:build: building $name ..."
  local start=$SECONDS
  "$@"
  echo "stack:build: $name built in $((SECONDS - start)) s"
}

build_k6() {
  local src; src=$(prepare "k6-$K6_VERSION" "$K6_MODULE")
  (cd "$src" && CGO_ENABLED=0 go build -trimpath -o "$cache/bin/k6-$K6_VERSION" .)
}

build_prometheus() {
  local src; src=$(prepare "prometheus-$PROMETHEUS_VERSION" "$PROMETHEUS_MODULE")
  # remove_all_sd drops the cloud service-discovery plugins: the kit scrapes static targets only, and
  # some of those plugins' dependencies (hashicorp/nomad/api) are not served by the module proxy.
  (cd "$src" && CGO_ENABLED=0 go build -trimpath -tags remove_all_sd -o "$cache/bin/prometheus-$PROMETHEUS_VERSION" ./cmd/prometheus \
             && CGO_ENABLED=0 go build -trimpath -tags remove_all_sd -o "$cache/bin/promtool-$PROMETHEUS_VERSION" ./cmd/promtool)
}

build_loki() {
  local src; src=$(prepare "loki-$LOKI_VERSION" "$LOKI_MODULE")
  nested "$src" "$LOKI_PUSH_MODULE" pkg/push
  (cd "$src" && CGO_ENABLED=0 go build -trimpath -o "$cache/bin/loki-$LOKI_VERSION" ./cmd/loki)
}

build_tempo() {
  local src; src=$(prepare "tempo-$TEMPO_VERSION" "$TEMPO_MODULE")
  # Tempo 1.5 must be built with the Go it was released for: from Go 1.21 packages initialise in
  # import-path order, so gRPC's proto codec registers after Tempo's gogo codec and replaces it
  # (the distributor then panics on its first push), and Go >= 1.23 also refuses the go:linkname
  # use of its golang.org/x/net. `go` fetches that toolchain through the module proxy.
  (cd "$src" && CGO_ENABLED=0 GOTOOLCHAIN="$TEMPO_GO_TOOLCHAIN" go build -trimpath -o "$cache/bin/tempo-$TEMPO_VERSION" ./cmd/tempo)
}

build_alloy() {
  local src; src=$(prepare "alloy-$ALLOY_VERSION" "$ALLOY_MODULE")
  nested "$src" "$ALLOY_SYNTAX_MODULE" syntax
  # Upstream's tags minus builtinassets (needs the UI's npm build) and promtail_journal_enabled (libsystemd).
  (cd "$src" && go build -trimpath -tags "netgo slicelabels" -o "$cache/bin/alloy-$ALLOY_VERSION" .)
}

only=${1:-all}
want() { [ "$only" = all ] || [ "$only" = "$1" ]; }
total=$SECONDS
want k6         && timed k6 "k6-$K6_VERSION" -- build_k6
want prometheus && timed prometheus "prometheus-$PROMETHEUS_VERSION" "promtool-$PROMETHEUS_VERSION" -- build_prometheus
want loki       && timed loki "loki-$LOKI_VERSION" -- build_loki
want tempo      && timed tempo "tempo-$TEMPO_VERSION" -- build_tempo
want alloy      && timed alloy "alloy-$ALLOY_VERSION" -- build_alloy
echo "stack:build: done in $((SECONDS - total)) s; binaries in $cache/bin"
