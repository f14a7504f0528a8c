#!/usr/bin/env sh
# `npm start` (and `npx keel`) build first when the built entry point is missing or older
# than any source file. The entry point to check is the first argument (default: the API's).
main=${1:-dist/apps/api/src/main.js}
if [ ! -f "$main" ] || [ -n "$(find apps libs tsconfig.json tsconfig.build.json package.json -newer "$main" -type f -print -quit 2>/dev/null)" ]; then
  # tsc rewrites only what changed: the entry point is touched so the next check passes.
  npm run build && touch "$main"
fi
