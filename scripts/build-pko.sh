#!/bin/sh
# Build PKO v1.19.0's CLI (kubectl-package), manager (package-operator-manager) and remote-phase manager
# (remote-phase-manager) from snapshots of PKO's repositories, for the parity suite, `npm run compare:pko`, the
# migration test and the fleet bench (`npm run bench -- fleet`). Never needed by `npm test`.
#
#   PKO_REPOS=DIR bash scripts/build-pko.sh
#
# DIR holds git directories (bare or not) of github.com/package-operator/{package-operator,boxcutter,cardboard,semver}
# named package-operator, boxcutter, cardboard and semver (PKO's own modules under the pkg.package-operator.run
# vanity path are not on the public Go proxy: they are mapped to these snapshots with `replace`). Everything else
# comes from the Go module proxy. The binaries land in ~/.cache/gantry/bin, where the tests look for them.
set -eu
REPOS=${PKO_REPOS:?set PKO_REPOS to a folder holding the git directories of the PKO repositories}
CACHE=${HOME}/.cache/gantry
SRC=$CACHE/pko-src
DEPS=$CACHE/pko-deps
export GOWORK=off GOFLAGS=-mod=mod

extract() { # git-dir ref target
  rm -rf "$3" && mkdir -p "$3"
  git --git-dir="$1" archive "$2" | tar -x -C "$3"
}
gitdir() { if [ -d "$REPOS/$1/.git" ]; then echo "$REPOS/$1/.git"; else echo "$REPOS/$1"; fi; }

extract "$(gitdir package-operator)" v1.19.0 "$SRC"
extract "$(gitdir boxcutter)" v0.9.0 "$DEPS/boxcutter"
extract "$(gitdir cardboard)" v0.0.4 "$DEPS/cardboard-root"
extract "$(gitdir cardboard)" kubeutils/v0.0.4 "$DEPS/cardboard"
extract "$(gitdir semver)" aa8390953339 "$DEPS/semver"
cd "$SRC"
go mod edit \
  -replace "pkg.package-operator.run/boxcutter=$DEPS/boxcutter" \
  -replace "pkg.package-operator.run/cardboard=$DEPS/cardboard-root" \
  -replace "pkg.package-operator.run/cardboard/kubeutils=$DEPS/cardboard/kubeutils" \
  -replace "pkg.package-operator.run/semver=$DEPS/semver"
mkdir -p "$CACHE/bin/kubectl-package-v1.19.0" "$CACHE/bin/package-operator-manager-v1.19.0" \
  "$CACHE/bin/remote-phase-manager-v1.19.0"
go build -o "$CACHE/bin/kubectl-package-v1.19.0/kubectl-package" ./cmd/kubectl-package
go build -o "$CACHE/bin/package-operator-manager-v1.19.0/package-operator-manager" ./cmd/package-operator-manager
go build -o "$CACHE/bin/remote-phase-manager-v1.19.0/remote-phase-manager" ./cmd/remote-phase-manager
echo "PKO v1.19.0 built: $CACHE/bin/kubectl-package-v1.19.0/kubectl-package," \
  "$CACHE/bin/package-operator-manager-v1.19.0/package-operator-manager," \
  "$CACHE/bin/remote-phase-manager-v1.19.0/remote-phase-manager"
