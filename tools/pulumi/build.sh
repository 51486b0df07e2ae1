#!/usr/bin/env bash
# Assemble govcloud's Pulumi toolchain from Go modules only (module proxy; no GitHub):
#
#   $BIN/pulumi                         CLI, built from this wrapper module (pkg/v3 cmd/pulumi)
#   $BIN/pulumi-language-python         govcloud's own language host (./langhost), NOT upstream's
#   $BIN/pulumi-language-python-exec    SDK shim the host runs under python (sdk/v3 python/cmd/)
#   $BIN/pulumi-resource-pulumi-python  dynamic-provider host script (sdk/v3 python/dist/)
#
# Idempotent: anything already present is kept (FORCE=1 rebuilds/recopies everything).
# If a CLI was already built elsewhere with the same flags, PREBUILT_PULUMI=path copies it instead.
#
# Usage: tools/pulumi/build.sh [BIN_DIR]   (then: export PATH="$BIN_DIR:$PATH")
set -euo pipefail

PULUMI_VERSION=v3.274.1
# BIN: where the tools go (govcloud passes its cache directory, keyed by version).
BIN=${1:-${GOVCLOUD_CACHE:-$HOME/.cache/govcloud}/tools/pulumi-${PULUMI_VERSION}/bin}
FORCE=${FORCE:-0}
PREBUILT_PULUMI=${PREBUILT_PULUMI:-}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"

log() { printf '[pulumi-build] %s\n' "$*"; }
need() { [[ $FORCE == 1 || ! -x $1 ]]; }

# The version must match the CLI's so `pulumi version` and plugin info report v3.274.1.
LDFLAGS="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=${PULUMI_VERSION}"
mkdir -p "$BIN"

# Sanity: the wrapper must pin the version we stamp in.
if ! grep -q "github.com/pulumi/pulumi/pkg/v3 ${PULUMI_VERSION}\$" go.mod; then
  echo "go.mod does not require github.com/pulumi/pulumi/pkg/v3 ${PULUMI_VERSION}" >&2
  exit 1
fi

# 1. The CLI (slow: ~10+ minutes cold on 2 cores).
if need "$BIN/pulumi"; then
  if [[ $FORCE != 1 && -x $PREBUILT_PULUMI ]] &&
     [[ $("$PREBUILT_PULUMI" version 2>/dev/null) == "$PULUMI_VERSION" ]]; then
    log "pulumi: copying prebuilt $PREBUILT_PULUMI"
    install -m 0755 "$PREBUILT_PULUMI" "$BIN/pulumi.tmp"
  else
    log "pulumi: building github.com/pulumi/pulumi/pkg/v3/cmd/pulumi (this takes a while)"
    build_log="$BIN/../pulumi-build.log"
    CGO_ENABLED=0 go build -v -trimpath -ldflags "$LDFLAGS" -o "$BIN/pulumi.tmp" \
      github.com/pulumi/pulumi/pkg/v3/cmd/pulumi >"$build_log" 2>&1 &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
      sleep 15
      log "pulumi: $(wc -l <"$build_log") packages compiled"
    done
    if ! wait "$pid"; then
      tail -30 "$build_log" >&2
      echo "[pulumi-build] pulumi: go build failed (log: $build_log)" >&2
      exit 1
    fi
  fi
  mv -f "$BIN/pulumi.tmp" "$BIN/pulumi"
else
  log "pulumi: present, skipping"
fi

# 2. Our language host.
if need "$BIN/pulumi-language-python"; then
  log "pulumi-language-python: building ./langhost (govcloud host)"
  CGO_ENABLED=0 go build -trimpath -ldflags "$LDFLAGS" -o "$BIN/pulumi-language-python.tmp" ./langhost
  mv -f "$BIN/pulumi-language-python.tmp" "$BIN/pulumi-language-python"
else
  log "pulumi-language-python: present, skipping"
fi

# 3. Scripts from the sdk/v3 module at the same version.
SDK_DIR="$(go env GOMODCACHE)/github.com/pulumi/pulumi/sdk/v3@${PULUMI_VERSION}"
if [[ ! -d $SDK_DIR ]]; then
  log "downloading github.com/pulumi/pulumi/sdk/v3@${PULUMI_VERSION}"
  go mod download "github.com/pulumi/pulumi/sdk/v3@${PULUMI_VERSION}"
fi
copy_script() { # src dest
  if need "$2"; then
    log "$(basename "$2"): copying from ${1#"$SDK_DIR"/}"
    install -m 0755 "$1" "$2"   # module cache files are read-only; install gives 0755
  else
    log "$(basename "$2"): present, skipping"
  fi
}
copy_script "$SDK_DIR/python/cmd/pulumi-language-python-exec" "$BIN/pulumi-language-python-exec"
copy_script "$SDK_DIR/python/dist/pulumi-resource-pulumi-python" "$BIN/pulumi-resource-pulumi-python"

log "pulumi: $("$BIN/pulumi" version)"
log "done: export PATH=\"$BIN:\$PATH\""
