# Two commands do the whole setup: `make demo` and `make test`.
GO      ?= go
BIN     := bin/automl
PKGS    := ./...

.PHONY: demo build test bench bench-serve bench-data bench-budget bench-large bench-remote benchmark lint fuzz tools clean

build:
	$(GO) build -o $(BIN) ./cmd/automl

# Runs a 30 s experiment on the bundled German Credit data and prints the leaderboard.
demo: build
	./$(BIN) demo --runs runs

# Every test, with the race detector.
test:
	$(GO) vet $(PKGS)
	$(GO) test -race -count=1 -timeout 40m $(PKGS)

# Go benchmarks of every hot path, then the comparison with XGBoost (needs python3-xgboost).
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count=1 -timeout 30m $(PKGS)
	@if [ -x bench/gbdt.sh ]; then bench/gbdt.sh; fi

# Load test of `automl serve` on loopback with wrk (installed if missing): throughput, p50/p99, 10k-row batch.
bench-serve:
	bench/serve/run.sh

# Reading + profiling 300k×30 and 1M×20 tables (CSV and Parquet) against pandas' read_csv + describe:
# time, peak RSS, Parquet speedup (needs python3-pandas and GNU time; installed if missing).
bench-data:
	bench/data.sh

# Does --timeout hold on large inputs? `automl run --timeout 5s/10s/20s` on 300k×30, 1M×20 and
# 1,000×20,000 tables: wall time measured outside the process against the README's grace.
bench-budget:
	bench/budget.sh

# The search on samples against the search on every row, 1,000,000 × 20: `automl run --timeout 60s`
# (first trial, trials, peak RSS, test AUC) next to `--sample off --timeout 10m` (about 12 min).
bench-large:
	bench/large.sh

# The cost of running trials through NATS JetStream: trials/min of 2 local workers against 2
# `automl worker` processes on an embedded JetStream server (same cores), and the dispatch latency.
bench-remote: build
	$(GO) run ./bench/remote --automl $(BIN)

# Quality against FLAML 2.6.0 and four library defaults on the shared data sets, 3 seeds, 60 s
# and 30 s, same splits and metric code (../shared/peers). Needs FLAML_SRC; writes bench/RESULTS.md.
benchmark:
	bench/benchmark.sh

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

# Coverage-guided fuzzing of every parser of user input: each Fuzz* target of
# the module runs for FUZZTIME (e.g. make fuzz FUZZTIME=10m; a benchmark-style
# run, not CI). New failing inputs land in the package's testdata/fuzz/<target>/,
# the kept corpus, and then run in every `go test`. A failing target does not
# stop the others; the summary lists each target's result and wall time, and
# the exit status is 1 if any failed. "race" is Go 1.26's fuzzing coordinator
# missing its own -fuzztime deadline on a loaded machine (golang/go#75804,
# fixed in Go 1.27): a bare "context deadline exceeded" with no failing input
# written, not a finding. FUZZFLAGS adds flags (e.g. -parallel 1); FUZZPKG
# limits the run to the targets under one folder (e.g. FUZZPKG=./serving).
FUZZTIME ?= 1m
FUZZFLAGS ?=
FUZZPKG ?= .
fuzz: SHELL := /bin/bash
fuzz:
	@fails=0; summary=""; \
	for f in $$(grep -rl --include='*_test.go' '^func Fuzz' $(FUZZPKG) | sort); do \
		dir=$$(dirname $$f); \
		for t in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
			echo "== $$dir $$t ($(FUZZTIME))"; start=$$(date +%s); \
			log=$$(mktemp); \
			if $(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) $(FUZZFLAGS) $$dir 2>&1 | tee $$log; [ $${PIPESTATUS[0]} -eq 0 ]; then r=ok; \
			elif grep -q 'context deadline exceeded' $$log && ! grep -q 'Failing input written' $$log; then r=race; \
			else r=FAIL; fails=$$((fails+1)); fi; rm -f $$log; \
			summary="$$summary$$(printf '%-4s %4ds  %s %s' $$r $$(( $$(date +%s) - start )) $$dir $$t)\n"; \
		done; \
	done; \
	printf "\nfuzz summary (FUZZTIME=$(FUZZTIME); wall seconds include building):\n$$summary"; \
	[ $$fails -eq 0 ]

# GoNB v0.11.1 (Go Jupyter kernel), gopls v0.21.0 and goimports v0.38.0 from the pinned tools
# modules, and GoNB's kernel registered with Jupyter: needed to execute the notebooks.
tools:
	cd tools && $(GO) install github.com/janpfeifer/gonb golang.org/x/tools/gopls
	cd tools/goimports && $(GO) install golang.org/x/tools/cmd/goimports
	PATH="$$($(GO) env GOPATH)/bin:$$PATH" gonb --install

clean:
	rm -rf bin runs
