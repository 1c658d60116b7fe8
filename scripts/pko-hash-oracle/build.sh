#!/bin/sh
# Build the PKO hash oracle (main.go beside this script) against PKO v1.19.0's source, as extracted by
# scripts/build-pko.sh, into ~/.cache/gantry/bin/pko-hash-oracle. The oracle is built in a scratch module that takes
# PKO's go.mod and go.sum as they are (so it uses exactly PKO's dependencies, from the local module cache) and
# imports PKO's own hash code. Never needed by `npm test`: the parity test builds it when PKO's source is there.
#
#   sh scripts/pko-hash-oracle/build.sh [PKO_SOURCE]
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=${1:-${PKO_SOURCE:-$HOME/.cache/gantry/pko-src}}
OUT=$HOME/.cache/gantry/bin/pko-hash-oracle
[ -f "$SRC/internal/utils/hash.go" ] || { echo "no PKO source at $SRC (run scripts/build-pko.sh)" >&2; exit 2; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp "$SRC/go.mod" "$SRC/go.sum" "$HERE/main.go" "$WORK/"
cd "$WORK"
export GOWORK=off GOFLAGS=-mod=mod
# The oracle's module path sits under PKO's, so Go lets it import PKO's internal packages.
go mod edit -module package-operator.run/gantry-pko-hash-oracle \
  -require package-operator.run@v0.0.0 \
  -replace "package-operator.run=$SRC" \
  -replace "package-operator.run/apis=$SRC/apis"
mkdir -p "$(dirname "$OUT")"
go build -o "$OUT.tmp" . && mv "$OUT.tmp" "$OUT"
echo "$OUT"
