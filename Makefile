# Tack: `make run` serves the demo workspace at http://localhost:8080; `make test` runs every test.
SHELL := /bin/bash
GO ?= go
export CGO_ENABLED := 1

ADDR ?= 127.0.0.1:8080
DB ?= ./data/tack.db

# `tack version` reports these; a plain `go build` says "dev".
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT)

.PHONY: all build run test test-deps bench bench-table vendor check-vendor generate fmt vet check clean

all: build

build: ## Build bin/tack (cgo is required by the SQLite driver)
	@echo "building bin/tack $(VERSION) (the first build compiles SQLite with cgo: 1-2 minutes; later builds take seconds)"
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/tack ./cmd/tack

# The browser libraries are pinned in package.json/package-lock.json and committed under
# static/vendor (and axe-core, for the browser tests, under handlers/testdata), so plain
# `go build` and `go test` work on a fresh clone; npm stays their source.
PINNED := static/vendor handlers/testdata/axe.min.js

vendor: ## Refresh the committed browser files from what package-lock.json pins (needs npm)
	npm ci --ignore-scripts --no-audit --no-fund
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	cp node_modules/htmx-ext-sse/dist/sse.js static/vendor/sse.js
	cp node_modules/sortablejs/Sortable.min.js static/vendor/Sortable.min.js
	cp node_modules/axe-core/axe.min.js handlers/testdata/axe.min.js

check-vendor: vendor ## Fail when the committed browser files differ from what package-lock.json pins
	@if ! git diff --quiet -- $(PINNED) || [ -n "$$(git ls-files --others -- $(PINNED))" ]; then \
		echo "static/vendor or handlers/testdata/axe.min.js differ from what package-lock.json pins: run 'make vendor' and commit the result" >&2; \
		git status --short -- $(PINNED) >&2; \
		exit 1; \
	fi

run: build ## Build and serve the demo workspace at http://localhost:8080
	./bin/tack serve -addr $(ADDR) -db $(DB) -demo

test: test-deps ## Install what tests need, then run every test with the race detector
	$(GO) test -race -count=1 -timeout 30m ./...

# `make bench` and `make bench-table` are not part of `make test` or CI: they measure,
# they do not check.
BENCHTIME ?= 300ms
BENCH_TIMEOUT ?= 10m
# bench-table: the server binary to measure (another build's works: tack bench is always
# bin/tack), how long each run lasts, how many runs each scenario gets (medians), viewers.
SERVER ?= ./bin/tack
BENCH_DURATION ?= 10s
VIEWERS_DURATION ?= 20s
REPEAT ?= 3
VIEWERS ?= 1000

bench: build ## Run the Go benchmarks, then every tack bench scenario once, briefly, against a demo server
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) -timeout $(BENCH_TIMEOUT) ./...
	@$(MAKE) --no-print-directory bench-table BENCH_DURATION=5s VIEWERS_DURATION=5s REPEAT=1 VIEWERS=200

bench-table: build ## Issue 9's table: SERVER serve -demo + 500 tasks on a free loopback port and a temp database, each scenario REPEAT times
	@set -euo pipefail; \
	dir=$$(mktemp -d /tmp/tack-bench.XXXXXX); pid=; \
	trap 'if [ -n "$$pid" ]; then kill $$pid 2>/dev/null; wait $$pid 2>/dev/null || true; fi; rm -rf "$$dir"' EXIT; \
	$(SERVER) serve -addr 127.0.0.1:0 -db "$$dir/bench.db" -demo >"$$dir/serve.log" 2>&1 & pid=$$!; \
	url=; for i in $$(seq 600); do \
		url=$$(sed -n 's|^Tack is serving \(http://[^ ]*\).*|\1|p' "$$dir/serve.log"); \
		if [ -n "$$url" ] || ! kill -0 $$pid 2>/dev/null; then break; fi; sleep 0.1; \
	done; \
	if [ -z "$$url" ]; then echo "$(SERVER) serve did not start:" >&2; cat "$$dir/serve.log" >&2; exit 1; fi; \
	echo "== tack bench against $(SERVER) at $$url (pid $$pid, database $$dir/bench.db)"; \
	./bin/tack bench -url $$url -seed-tasks 500; \
	rc=0; \
	for args in "api-move -clients 1" "api-move -clients 32" browser-move board-page \
		"viewers -viewers $(VIEWERS) -rate 50 -duration $(VIEWERS_DURATION)"; do \
		echo; ./bin/tack bench -url $$url -pid $$pid -repeat $(REPEAT) -duration $(BENCH_DURATION) -scenario $$args || rc=1; \
	done; \
	exit $$rc

test-deps: ## Install what the tests need: gcc (cgo), Debian's chromium for browser tests and postgresql for the store on PostgreSQL
	@command -v gcc >/dev/null || { echo "gcc is required (cgo for SQLite): apt-get install gcc" >&2; exit 1; }
	@command -v npm >/dev/null || { echo "npm is required to install the pinned browser libraries" >&2; exit 1; }
	@if ! command -v chromium >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi
	@command -v chromium >/dev/null || [ "$$CI" != true ] || { echo "CI: chromium is missing and could not be installed" >&2; exit 1; }
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian's postgresql for the store tests on PostgreSQL"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	fi
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || [ "$$CI" != true ] || { echo "CI: PostgreSQL (initdb, postgres) is missing and could not be installed" >&2; exit 1; }

generate: ## Regenerate templ output (commit the *_templ.go files)
	$(GO) tool templ generate

fmt:
	gofmt -w cmd handlers views static store migrations

vet:
	$(GO) vet ./...

check: ## What CI runs
	bash .ci/run

clean:
	rm -rf bin
