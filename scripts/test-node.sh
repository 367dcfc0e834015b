#!/usr/bin/env bash
# Runs Roomlink's tests on another Node.js major (e.g. `scripts/test-node.sh 24`), beside the
# machine's own Node: users run Roomlink on 20, 22 and 24, and native addons (better-sqlite3),
# crypto, streams and the test runner can each differ between them.
#
# Node comes from the npm registry (the `node-<platform>-<arch>` package holds the official build,
# with the headers native addons compile against), so this needs nothing but the registry. The
# checkout's committed files are copied into a temporary directory next to a link to `../shared`;
# `npm ci` there builds better-sqlite3 for that Node and, through `prepare`, Roomlink itself; then
# the whole test suite runs with that Node. Lint and type-check do not depend on the Node version
# and are left to `npm test` on the machine's own Node.
set -euo pipefail

major="${1:?usage: scripts/test-node.sh <major version, e.g. 22>}"
if ! [[ "$major" =~ ^[0-9]+$ ]]; then
  echo "test-node.sh: the Node.js major version must be a number, not '$major'" >&2
  exit 64
fi
root="$(cd "$(dirname "$0")/.." && pwd)"
package="node-$(node -p 'process.platform')-$(node -p 'process.arch')"

work="$(mktemp -d "${TMPDIR:-/tmp}/roomlink-node${major}-XXXXXX")"
trap 'rm -rf "$work"' EXIT
# mktemp makes it 0700; the tests that run the built roomlink as another account (nobody, as a
# service runs as its own) must reach the checkout inside, as they do in a clone made with the usual
# umask.
chmod 755 "$work"

# The newest release of that major on the registry.
version="$(npm view "$package@$major" version --json | node -e '
  const out = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
  const list = Array.isArray(out) ? out : [out];
  process.stdout.write(String(list.at(-1) ?? ""));
')"
if [ -z "$version" ]; then
  echo "test-node.sh: no $package release for Node.js $major on the npm registry" >&2
  exit 69
fi
echo "== Node.js $version ($package from the npm registry)"
(cd "$work" && npm pack --silent "$package@$version" >/dev/null && mkdir node && tar -xzf ./*.tgz -C node --strip-components=1)
node_dir="$work/node"

mkdir "$work/repo"
git -C "$root" archive HEAD | tar -x -C "$work/repo"
# The tests read reference material from ../shared next to the checkout (see README).
if [ -d "$root/../shared" ]; then ln -s "$(cd "$root/../shared" && pwd)" "$work/shared"; fi

cd "$work/repo"
export PATH="$node_dir/bin:$PATH"
# Native addons build against this Node's own headers, not headers downloaded from nodejs.org.
export npm_config_nodedir="$node_dir"
node --version
npm ci --no-audit --no-fund
npx vitest run
