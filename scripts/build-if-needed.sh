#!/usr/bin/env sh
# `npm start` builds first when dist/ is missing or older than any source file.
main=dist/apps/api/src/main.js
if [ ! -f "$main" ] || [ -n "$(find apps libs tsconfig.json tsconfig.build.json package.json -newer "$main" -type f -print -quit 2>/dev/null)" ]; then
  npm run build
fi
