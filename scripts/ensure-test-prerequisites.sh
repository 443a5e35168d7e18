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

# npm 11 runs no dependency install scripts unless approved: build re2 from source with node-gyp
# (DOWNLOAD_FORCE_BUILD: never fetch a prebuilt binary from outside the registry).
if ! node -e "require('re2')" >/dev/null 2>&1; then
  echo "Building re2 (gitlab-ci-local's native module) from source…"
  DOWNLOAD_FORCE_BUILD=1 npm rebuild re2
fi
