#!/bin/bash
# syncbench-ab.sh OLD NEW ROUNDS "SYNCBENCH FLAGS": builds internal/cmd/syncbench
# at two commits and runs them in turn, ROUNDS times each, so that both see
# the same machine (on a shared machine only a comparison within one run
# means anything). Run it under the test servers, for example:
#
#   USHER_LDAPSEED_BULK=100000 ./scripts/testservers.sh ./scripts/syncbench-ab.sh \
#     HEAD~1 HEAD 3 "-runs 2 -twostep=false -changes 0 -reads 0"
#
# It prints each round's CPU and ratio lines, and at the end every
# round's ratio per commit.
set -euo pipefail
if [ $# -ne 4 ]; then
	echo "usage: $0 OLD NEW ROUNDS \"SYNCBENCH FLAGS\"" >&2
	exit 2
fi
old=$1 new=$2 rounds=$3 flags=$4
repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
work=$(mktemp -d)
trap 'for c in old new; do git -C "$repo" worktree remove --force "$work/$c" 2>/dev/null || true; done; rm -rf "$work"' EXIT
for c in old new; do
	rev=${!c}
	git -C "$repo" worktree add -q --detach "$work/$c" "$rev"
	(cd "$work/$c" && go build -o "$work/syncbench-$c" ./internal/cmd/syncbench)
done
for r in $(seq "$rounds"); do
	for c in old new; do
		echo "== round $r: $c (${!c})"
		# shellcheck disable=SC2086 # flags are words
		"$work/syncbench-$c" $flags 2>&1 | tee -a "$work/$c.log" | grep -E "CPU|^round|best|unchanged|incremental" || true
	done
done
for c in old new; do
	echo "$c (${!c}): $(grep -oE 'ratio [0-9.]+x' "$work/$c.log" | cut -d' ' -f2 | tr '\n' ' ')"
done
