#!/usr/bin/env bash
# Regenerates each service's server interfaces and types from its OpenAPI
# document: api/<svc>.yaml -> services/<svc>/internal/ports/http/oapi/oapi.gen.go,
# with the options in the cfg.yaml next to the generated file; and the
# portal's clients (services/portal/internal/adapters/services/<svc>api/).
#
#   scripts/generate.sh                 # all services
#   scripts/generate.sh payment tender  # some
#   OUT=/tmp/x scripts/generate.sh      # write under /tmp/x/services/... instead (used by check-generated.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

OAPI_CODEGEN="go run github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen@v2.8.2"
ROOT=$PWD
OUT=${OUT:-$ROOT}
SERVICES=("$@")
if [ ${#SERVICES[@]} -eq 0 ]; then
	SERVICES=(licensing tender payment portal)
fi

for svc in "${SERVICES[@]}"; do
	spec=$ROOT/api/$svc.yaml
	dir=services/$svc/internal/ports/http/oapi
	if [ ! -f "$spec" ] || [ ! -f "$ROOT/$dir/cfg.yaml" ]; then
		echo "generate: no $spec or $dir/cfg.yaml" >&2
		exit 1
	fi
	mkdir -p "$OUT/$dir"
	# Run from the module root so that the tool resolves with its own version
	# and the output path is explicit.
	(cd "$ROOT" && GOWORK=off $OAPI_CODEGEN -config "$dir/cfg.yaml" -o "$OUT/$dir/oapi.gen.go" "$spec")
	echo "generated $dir/oapi.gen.go from api/$svc.yaml"
done

# The portal's clients of the services it calls as the user:
# api/<svc>.yaml -> services/portal/internal/adapters/services/<svc>api/<svc>.gen.go.
for cfg in services/portal/internal/adapters/services/*api/cfg.yaml; do
	[ -f "$cfg" ] || continue
	dir=$(dirname "$cfg")
	svc=$(basename "$dir")
	svc=${svc%api}
	mkdir -p "$OUT/$dir"
	(cd "$ROOT" && GOWORK=off $OAPI_CODEGEN -config "$cfg" -o "$OUT/$dir/$svc.gen.go" "api/$svc.yaml")
	echo "generated $dir/$svc.gen.go from api/$svc.yaml"
done
