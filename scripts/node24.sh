#!/usr/bin/env sh
# Keel runs on Node 24. When the Node on PATH is older, install the npm registry's
# `node@24` package into a cache folder once and put it first on PATH.
#
#   . scripts/node24.sh            # in a shell or CI script: PATH now has Node 24
#   sh scripts/node24.sh CMD ...   # run one command with Node 24 (used by npm scripts)
#
# KEEL_NODE_CACHE overrides the cache folder (default: ~/.cache/keel/node24).

keel_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(keel_node_major)" -lt 24 ]; then
  keel_node_dir="${KEEL_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/keel/node24}"
  if [ ! -x "$keel_node_dir/node_modules/.bin/node" ]; then
    # Said before the download starts, so a first `npm start` is not a silent minute.
    echo "scripts/node24.sh: Keel needs Node 24 and this is Node $(node --version 2>/dev/null || echo none)." >&2
    echo "scripts/node24.sh: downloading Node 24 once from the npm registry (package node@24, about 50 MB, 190 MB on disk) into $keel_node_dir ..." >&2
    keel_node_started=$(date +%s)
    # Installed beside the cache folder and renamed into place, so two first starts at once
    # (parallel test runs) never share a half-written folder: the first rename wins.
    mkdir -p "$(dirname "$keel_node_dir")"
    keel_node_tmp="$keel_node_dir.tmp.$$"
    # node@24's preinstall fetches the platform's binary: the one install script run here,
    # whatever the calling project's npm config (Keel's .npmrc, inherited through `npm run`,
    # would refuse it as unreviewed).
    if npm install --prefix "$keel_node_tmp" --no-save --no-package-lock --loglevel=error \
      --strict-allow-scripts=false node@24 >/dev/null; then
      # A folder without the binary is left from an interrupted install; rename(2) refuses a
      # non-empty target, so a folder another start has just put in place is never replaced.
      [ -x "$keel_node_dir/node_modules/.bin/node" ] || rm -rf "$keel_node_dir"
      node -e 'try { require("fs").renameSync(process.argv[1], process.argv[2]) } catch {}' \
        "$keel_node_tmp" "$keel_node_dir"
    fi
    rm -rf "$keel_node_tmp"
    if [ ! -x "$keel_node_dir/node_modules/.bin/node" ]; then
      echo "scripts/node24.sh: could not install node@24" >&2
      return 1 2>/dev/null || exit 1
    fi
    echo "scripts/node24.sh: Node $("$keel_node_dir/node_modules/.bin/node" --version) ready after $(($(date +%s) - keel_node_started)) s; later runs use it without downloading." >&2
  fi
  PATH="$keel_node_dir/node_modules/.bin:$PATH"
  export PATH
fi

# Executed (not sourced) with arguments: run them under Node 24.
case "$0" in
  *node24.sh) [ "$#" -gt 0 ] && exec "$@" ;;
esac
