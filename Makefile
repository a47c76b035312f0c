# Developer commands for Beteiligungsportal. `make` lists them.
#
# Local PostgreSQL, Redis and the mail catcher Mailpit are started on demand
# by infra/dev/services.sh (profile "run" for make run and friends, profile
# "test" for tests, which also gets an S3 server, versitygw; profile "cluster"
# for make run-cluster, with an S3 server too; "bench" for make bench, a test
# profile whose PostgreSQL flushes every commit as in production; both tools
# are built from the versions in tools/go.mod); infra/dev/with-env.sh provides
# the environment.
# make run-cluster (infra/dev/cluster.sh) runs three instances behind HAProxy. DATABASE_URL, REDIS_URL, SMTP_URL (for tests together with
# PORTAL_TEST_MAILPIT_URL) and PORTAL_TEST_S3_URL set in the environment take
# precedence over the local services.

SHELL := /bin/bash
.DEFAULT_GOAL := help

GO        ?= go
COMPOSE   ?= docker compose
BIN       := .data/bin/portal
PKG       ?= ./...
TESTFLAGS ?=
BENCH     ?= .
# The race detector needs cgo (a C compiler); without one tests run without it.
RACE      ?= $(if $(filter 1,$(shell $(GO) env CGO_ENABLED 2>/dev/null)),-race)

WITH_RUN  := infra/dev/with-env.sh run
WITH_TEST := infra/dev/with-env.sh test

.PHONY: help run run-cluster cluster-restart test faults bench lint fmt tidy build vuln migrate-up \
	migrate-status create-admin services-up services-down compose-up compose-down clean

help: ## List the targets
	@echo "usage: make TARGET [VAR=value ...]"
	@echo
	@awk 'BEGIN { FS = ":.*## " } /^[a-z][a-z-]*:.*## / { printf "  %-16s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)
	@echo
	@echo "variables: PKG (default ./...), TESTFLAGS, BENCH (default .), EMAIL, ARGS, N,"
	@echo "           DATABASE_URL, REDIS_URL, SMTP_URL, PORTAL_TEST_MAILPIT_URL,"
	@echo "           PORTAL_TEST_S3_URL, PORTAL_SECRET,"
	@echo "           PG_PORT, REDIS_PORT, SMTP_PORT, MAILPIT_PORT, S3_PORT,"
	@echo "           PORTAL_PORTS, LB_ADDR, LB_STATS_ADDR (run-cluster)"

run: build ## Start local services, migrate, seed demo data and serve on :8080 (mail: :28025)
	$(WITH_RUN) sh -c '$(BIN) migrate && $(BIN) seed-demo && exec $(BIN) serve'

run-cluster: ## Three instances behind HAProxy on :8080 (instances :8081-8083, stats :8404, mail :28027)
	GO='$(GO)' infra/dev/cluster.sh run

cluster-restart: ## Restart one instance of run-cluster and wait until it is back: make cluster-restart N=2
	@if [ -z '$(N)' ]; then echo "usage: make cluster-restart N=1|2|3" >&2; exit 2; fi
	infra/dev/cluster.sh restart '$(N)'

test: ## Run the tests with -race against the local test services incl. Mailpit and S3 (PKG, TESTFLAGS)
	@$(if $(RACE),:,echo "warning: cgo is not available, running the tests without -race" >&2)
	$(WITH_TEST) $(GO) test $(RACE) -count=1 $(TESTFLAGS) $(PKG)

faults: ## Fault runs: three instances behind HAProxy, SIGKILL, Redis and PostgreSQL outages, idle connections; prints figures (about 2 min)
	haproxy=$$(infra/dev/cluster.sh haproxy) && HAPROXY=$$haproxy \
	PORTAL_SERVICES_PROFILE=faults infra/dev/with-env.sh faults $(GO) test -tags faults -run '^TestFaults$$' -v -count=1 -timeout 10m ./app/cmd/portal

bench: ## Run the benchmarks against durable local test services of their own (BENCH, PKG)
	infra/dev/with-env.sh bench $(GO) test -run '^$$' -bench '$(BENCH)' -benchmem -count=1 $(TESTFLAGS) $(PKG)

lint: ## Check formatting, run go vet and the import rules test
	@unformatted="$$(gofmt -l .)"; if [ -n "$$unformatted" ]; then \
		echo "gofmt: these files need formatting (run make fmt):" >&2; \
		echo "$$unformatted" >&2; exit 1; fi
	$(GO) vet $(PKG)
	$(WITH_TEST) $(GO) test -count=1 -run '^TestImportRules$$' $(PKG)

fmt: ## Format all Go code
	$(GO) fmt ./...

tidy: ## Tidy go.mod and go.sum (also of the tools module)
	$(GO) mod tidy
	cd tools && $(GO) mod tidy

build: ## Build the binary to .data/bin/portal
	$(GO) build -o $(BIN) ./app/cmd/portal

vuln: ## Check dependencies for known vulnerabilities
	$(GO) run golang.org/x/vuln/cmd/govulncheck@latest ./...

migrate-up: build ## Apply database migrations (run profile)
	$(WITH_RUN) $(BIN) migrate

migrate-status: build ## Show the migration status (run profile)
	$(WITH_RUN) $(BIN) migrate status

create-admin: build ## Create an admin account: make create-admin EMAIL=name@example.org
	@if [ -z '$(EMAIL)' ]; then echo "usage: make create-admin EMAIL=name@example.org [ARGS=...]" >&2; exit 2; fi
	$(WITH_RUN) $(BIN) create-admin --email '$(EMAIL)' $(ARGS)

services-up: ## Start local PostgreSQL, Redis and Mailpit for both profiles (and S3 for tests)
	infra/dev/services.sh up run
	infra/dev/services.sh up test

services-down: ## Stop local PostgreSQL, Redis, Mailpit and S3 of all profiles
	infra/dev/services.sh down run
	infra/dev/services.sh down test
	infra/dev/services.sh down cluster
	infra/dev/services.sh down faults
	infra/dev/services.sh down bench

compose-up: ## Build and start the Docker Compose stack on :8080
	infra/dev/with-env.sh --no-services run $(COMPOSE) up --build --detach

compose-down: ## Stop the Docker Compose stack (keeps its volumes)
	infra/dev/with-env.sh --no-services run $(COMPOSE) down

clean: ## Stop local services and delete .data (databases, binaries, secret)
	-infra/dev/services.sh down run
	-infra/dev/services.sh down test
	-infra/dev/services.sh down cluster
	-infra/dev/services.sh down faults
	-infra/dev/services.sh down bench
	@# PostgreSQL data may live outside .data (see pg.location), remove it too.
	@for loc in .data/run/pg.location .data/test/pg.location .data/cluster/pg.location .data/faults/pg.location; do \
		if [ -s "$$loc" ] && [ "$$(cat "$$loc")" != . ]; then rm -rf "$$(cat "$$loc")"; fi; \
	done
	rm -rf .data
