# Tack: `make run` serves the demo workspace at http://localhost:8080; `make test` runs every test.
SHELL := /bin/bash
GO ?= go
export CGO_ENABLED := 1

ADDR ?= 127.0.0.1:8080
DB ?= ./data/tack.db

.PHONY: all build run test test-deps generate fmt vet check clean

all: build

build: ## Build bin/tack (cgo is required by the SQLite driver)
	$(GO) build -o bin/tack ./cmd/tack

run: build ## Build and serve the demo workspace at http://localhost:8080
	./bin/tack serve -addr $(ADDR) -db $(DB) -demo

test: test-deps ## Install what tests need, then run every test with the race detector
	$(GO) test -race -count=1 ./...

test-deps: ## Check the toolchain the tests need
	@command -v gcc >/dev/null || { echo "gcc is required (cgo for SQLite): apt-get install gcc" >&2; exit 1; }

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
