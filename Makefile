# reprise: make help lists the targets.
GO          ?= go
PAPER       ?=
BENCH_COUNT ?= 6
BENCH       ?= Sgemm/impl=reprise/m=(256|1024|196|3136)/

.PHONY: help test bench benchcmp replicate data reports

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

test: ## go vet, gofmt check, go test ./... (what CI runs)
	$(GO) vet ./...
	@out=$$(gofmt -l $$(find . -name '*.go' -not -path './.git/*')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) test ./...

bench: ## run benchmarks into bench/latest.txt (default: the SGEMM baseline suite; BENCH=regexp, BENCH_COUNT=n)
	$(GO) test -run '^$$' -bench '$(BENCH)' -count $(BENCH_COUNT) ./bench/ | tee bench/latest.txt.tmp
	mv bench/latest.txt.tmp bench/latest.txt

benchcmp: ## compare bench/latest.txt with the committed bench/baseline.txt (benchstat)
	@test -f bench/latest.txt || { echo "no bench/latest.txt: run make bench first"; exit 2; }
	$(GO) tool benchstat bench/baseline.txt bench/latest.txt

BUDGET ?= quick

replicate: data ## replicate a paper: make replicate PAPER=deit [BUDGET=smoke|quick|full]
	@test -n "$(PAPER)" || { echo "usage: make replicate PAPER=name (e.g. PAPER=deit)"; exit 2; }
	$(GO) run ./cmd/reprise replicate $(PAPER) --budget $(BUDGET)

data: ## locate the datasets; install Debian's dataset-fashion-mnist when root
	@if [ ! -d /usr/share/datasets/fashion-mnist ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian's dataset-fashion-mnist"; \
	    (apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1 || \
	     { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist; }) || \
	    echo "could not install dataset-fashion-mnist: recipes that want Fashion-MNIST will fall back to MNIST, and say so"; \
	  else \
	    echo "Fashion-MNIST is missing: run 'sudo apt-get install dataset-fashion-mnist' (recipes fall back to MNIST, and say so)"; \
	  fi; \
	fi
	$(GO) run ./cmd/reprise data || true

reports: ## regenerate every report from the saved runs in runs/ (no training)
	$(GO) run ./cmd/reprise report
