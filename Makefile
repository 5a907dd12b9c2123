# Gerbang: the two commands are `make run` and `make test`.
SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin
export GOFLAGS := -buildvcs=false

SERVICES := licensing tender payment portal
MODULES  := pkg $(addprefix services/,$(SERVICES)) e2e

.PHONY: run test prepare build generate check-generated vet unit bench fuzz clean

## run: prepare PostgreSQL and NATS, build, start the four services with demo data
run: prepare build
	@deploy/local/run.sh

## test: prepare PostgreSQL and NATS, check generated code, vet and test every module with -race
test: prepare check-generated vet
	@set -e; for m in $(MODULES); do \
		echo "=== go test -race ./$$m/..."; \
		(cd $$m && go test -race -count=1 -timeout 15m ./...); \
	done

# `make run` also builds the mail catcher (Mailpit); `make test` needs none.
run: PREPARE_FLAGS := --mail-catcher
prepare:
	@deploy/local/prepare.sh $(PREPARE_FLAGS)

build:
	@mkdir -p bin
	@for s in $(SERVICES); do (cd services/$$s && go build -o ../../bin/$$s ./cmd/$$s) || exit 1; done
	@cd e2e && go build -o ../bin/demo ./cmd/demo
	@echo "built: $(addprefix bin/,$(SERVICES)) bin/demo"

## generate: regenerate the servers and types from api/*.yaml
generate:
	@scripts/generate.sh

check-generated:
	@scripts/check-generated.sh

vet:
	@set -e; for m in $(MODULES); do (cd $$m && go vet ./...); done

## fuzz: the contract fuzzer with a long budget (CONTRACTFUZZ_REQUESTS, default 30000), then every go test -fuzz target for FUZZTIME (default 30s)
fuzz: prepare
	@scripts/fuzz.sh

## bench: the platform's figures: outbox commit-to-consumer latency and throughput at 1,000 events/s; every hot path at 64 clients beside pgbench's rate for its equal transaction (e2e/bench_test.go)
bench: prepare
	@cd pkg && go run ./events/cmd/outboxbench -rate 1000 -duration 10s -concurrency 4
	@cd e2e && go test -run '^$$' -bench BenchmarkHotPaths -benchtime 1x -timeout 30m .

clean:
	rm -rf bin var
