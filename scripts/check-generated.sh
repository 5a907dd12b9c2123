#!/usr/bin/env bash
# Fails when a generated file is stale: regenerates every service's
# oapi.gen.go from api/<svc>.yaml into a temporary directory and compares it
# with the file in the tree.
set -euo pipefail
cd "$(dirname "$0")/.."

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

OUT=$tmp scripts/generate.sh "$@" >/dev/null

stale=0
for fresh in $(cd "$tmp" && find services -name '*.gen.go' | sort); do
	if [ ! -f "$fresh" ]; then
		echo "check-generated: $fresh is missing; run make generate" >&2
		stale=1
	elif ! cmp -s "$tmp/$fresh" "$fresh"; then
		echo "check-generated: $fresh is stale (it does not match api/ and its cfg.yaml); run make generate" >&2
		diff -u "$fresh" "$tmp/$fresh" | head -20 >&2 || true
		stale=1
	fi
done
if [ "$stale" -ne 0 ]; then
	exit 1
fi
echo "check-generated: generated code is up to date"
