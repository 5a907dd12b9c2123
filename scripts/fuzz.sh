#!/usr/bin/env bash
# make fuzz: the contract fuzzer with a long budget, then every go test -fuzz
# target of the modules for a while each. make test runs both bounded: the
# contract fuzzer at its default budget, the fuzz targets on their committed
# corpora (testdata/fuzz).
#
#   CONTRACTFUZZ_REQUESTS=30000  requests the contract fuzzer sends
#   CONTRACTFUZZ_SEED=<n>        replay a run (its seed is printed)
#   FUZZTIME=30s                 how long each fuzz target runs
set -euo pipefail
cd "$(dirname "$0")/.."

echo "=== contract fuzzer: ${CONTRACTFUZZ_REQUESTS:=30000} requests"
(cd e2e && CONTRACTFUZZ_REQUESTS=$CONTRACTFUZZ_REQUESTS go test -run '^TestContractFuzz$' -count=1 -timeout 90m -v . |
	grep -E 'contract fuzz|contractfuzz_e2e_test|^(---|FAIL|ok|PASS)')

for module in pkg services/licensing services/tender services/payment services/portal; do
	grep -rl --include='*_test.go' '^func Fuzz' "$module" | while read -r file; do
		dir=$(dirname "$file")
		for target in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$file" | cut -d' ' -f2); do
			echo "=== $dir $target for ${FUZZTIME:-30s}"
			(cd "$module" && go test -run '^$' -fuzz "^$target\$" -fuzztime "${FUZZTIME:-30s}" "./${dir#"$module"/}")
		done
	done
done
