#!/bin/bash
# The same job three ways: SHA-256 of every file in a list, checked against
# sha256sum. forkpool run (-j 2), GNU parallel -X batching file names into
# `node hash-args.mjs` calls (-j 2), and a plain single-process loop.
#   bench/cli-sha256/run.sh [FILE_LIST]   (default: up to 4,000 files of 64 KiB–8 MiB under /usr)
# Needs GNU parallel (apt-get install parallel) and a built dist/ (npm run build).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cli="$here/../../dist/cli/main.js"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
list=${1:-$work/files.txt}
if [ -z "${1:-}" ]; then
  { find /usr/lib /usr/share /usr/bin -type f -size +64k -size -8192k 2>/dev/null | grep -v '[[:space:]]' | head -4000 > "$list"; } || true
fi
echo "$(wc -l < "$list") files, $(tr '\n' '\0' < "$list" | du -cb --files0-from=- | tail -1 | cut -f1) bytes; load average $(cut -d' ' -f1-3 /proc/loadavg)"
xargs -d '\n' sha256sum < "$list" | sort > "$work/ref.txt"
secs() { local s e; s=$(date +%s%N); "$@"; e=$(date +%s%N); echo "scale=2; ($e - $s) / 1000000000" | bc; }
check() { sort "$1" | cmp -s - "$work/ref.txt" && echo ok || echo WRONG; }
for round in 1 2 3; do
  a=$(secs bash -c "node '$cli' run '$here/tasks.mjs#sha' --input '$list' -j 2 -q --output-format raw > '$work/fp.txt'")
  b=$(secs bash -c "parallel -X -j 2 node '$here/hash-args.mjs' :::: '$list' > '$work/par.txt'")
  c=$(secs bash -c "node '$here/loop.mjs' '$list' > '$work/loop.txt'")
  echo "round $round: forkpool run ${a}s ($(check "$work/fp.txt"))  parallel -X ${b}s ($(check "$work/par.txt"))  loop ${c}s ($(check "$work/loop.txt"))"
done
