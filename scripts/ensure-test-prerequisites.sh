#!/usr/bin/env bash
# What the end-to-end tests drive besides Node: gitlab-ci-local (needs rsync and re2's native
# module), the Jenkins library under Groovy (needs a JRE) and the dashboard in chromium. Installs what is missing when it can
# (root with apt-get), otherwise says what to install. Runs before `npm test` and in .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v rsync >/dev/null 2>&1 || missing+=(rsync)
command -v groovy >/dev/null 2>&1 || missing+=(groovy)
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
# Browser tests (docs, dashboard) drive Debian's chromium through playwright-core (test/support/browser.ts).
[ -x /usr/bin/chromium ] || missing+=(chromium)
# re2 is built from source below (node-gyp needs a C++ compiler and make).
{ command -v c++ && command -v make; } >/dev/null 2>&1 || missing+=(build-essential)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing the Debian packages the end-to-end tests use: ${missing[*]}"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
  else
    echo "The end-to-end tests need: ${missing[*]} (Debian: sudo apt-get install ${missing[*]})." >&2
    exit 1
  fi
fi

# npm 11 runs no dependency install scripts unless approved, and package.json denies re2's: its
# install script first tries to download a prebuilt binary from outside the registry. So build it
# from source here with npm's own node-gyp, against the headers of the Node that runs the tests
# (<prefix>/include/node, shipped with Node), so nothing is downloaded.
if ! node -e "require('re2')" >/dev/null 2>&1; then
  echo "Building re2 (gitlab-ci-local's native module) from source…"
  node_prefix="$(dirname "$(dirname "$(node -p 'process.execPath')")")"
  node_gyp="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"
  nodedir=()
  [ -f "$node_prefix/include/node/node.h" ] && nodedir=(--nodedir="$node_prefix")
  log="$(mktemp)"
  (cd node_modules/re2 && node "$node_gyp" rebuild -j max "${nodedir[@]}") >"$log" 2>&1 \
    || { tail -40 "$log" >&2; echo "Building re2 failed (full log: $log)" >&2; exit 1; }
  node -e "require('re2')"
fi
