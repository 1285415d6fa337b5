#!/usr/bin/env bash
# Imports grouped as goimports groups them: the standard library, then other modules, then this
# module (-local), one blank line between groups. goimports only sorts within the blocks a file
# already has, so a file whose own imports sit in a block above the standard library passes
# `goimports -l`; here each file's import blocks are joined into one first, and the file must come
# back from goimports unchanged. `make lint` runs this check; -w rewrites the files instead.
#
#   tools/imports.sh [-w] FILE...
set -euo pipefail
write=false
if [ "${1:-}" = -w ]; then write=true; shift; fi
goimports=$(go tool -n goimports) # the tool dependency of go.mod, built once into the build cache
module=$(go list -m)
status=0
for f in "$@"; do
  want=$(awk '/^import \($/ { block = 1 } block && /^\)$/ { block = 0 } !(block && /^[ \t]*$/)' "$f" |
    "$goimports" -local "$module" -srcdir "$(dirname "$f")") || { echo "$f: goimports failed" >&2; status=1; continue; }
  if [ "$want" != "$(cat "$f")" ]; then
    if $write; then printf '%s\n' "$want" >"$f"; echo "rewrote $f"; else echo "$f"; status=1; fi
  fi
done
exit $status
