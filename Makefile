# stepgate — build, test and run the SAM application.
#
# `sam build` calls the build-<LogicalId> targets (BuildMethod: makefile) with ARTIFACTS_DIR set.
# Everything else is for people and CI: `make help` lists it.

SHELL := /bin/bash
.DEFAULT_GOAL := help

GO          ?= go
GOARCH_AWS  ?= arm64
HOST_GOOS   := $(shell $(GO) env GOOS)
HOST_GOARCH := $(shell $(GO) env GOARCH)
BUILD_DIR   ?= build
# Local runs (make local, invoke, bench-load) use binaries built for this machine, macOS included;
# `sam build` and build-arm64 build for Lambda (linux/arm64).
HOST_DIR    := $(BUILD_DIR)/$(HOST_GOOS)-$(HOST_GOARCH)
NODE_DIR    := tools/node
# One build recipe for AWS (arm64) and for local runs (the host's OS and architecture).
GO_FLAGS     = $(COMPILE_FLAGS) -ldflags='-s -w'
GO_BUILD     = CGO_ENABLED=0 GOOS=linux $(GO) build $(GO_FLAGS)
# The compile flags of everything built for this machine without the race detector: make build, go
# vet, staticcheck (it type-checks against compiled export data), the tools of go.mod and the
# bootstraps the tests build. Sharing them, each package (the standard library and the AWS SDK
# included) is compiled once for all of these instead of once for each.
BUILD_TAGS    = lambda.norpc
COMPILE_FLAGS = -tags $(BUILD_TAGS) -trimpath
HOST_ENV      = CGO_ENABLED=0 GOFLAGS='$(strip $(HOST_GOFLAGS) -trimpath)'
HOST_GOFLAGS := $(shell $(GO) env GOFLAGS)

# The template is the only list of functions: template.yaml, or an example's with
# TEMPLATE=examples/<name>/template.yaml (make local, build). A function <Name>Function is built from
# the package functions/<name in lower case> (samtemplate.FunctionFolder states the same rule; a test
# keeps the templates, this Makefile and the folders in step).
TEMPLATE  ?= template.yaml
FUNCTIONS = $(shell awk '/^  [A-Za-z0-9]+:$$/ { id = substr($$1, 1, length($$1) - 1) } \
                         /^    Type: AWS::Serverless::Function$$/ { print id }' $(TEMPLATE))
lower     = $(shell echo '$(1)' | tr '[:upper:]' '[:lower:]')
pkg       = ./functions/$(call lower,$(1:%Function=%))
# Everything make local, invoke and bench-load run. One `go build` with one set of flags builds
# them all, so the AWS SDK they share is compiled once, in parallel.
LOCAL_PKGS = $(foreach fn,$(FUNCTIONS),$(call pkg,$(fn))) ./cmd/stepgate-local ./cmd/invoke ./cmd/loadgen ./cmd/dashboard

# ---- sam build ---------------------------------------------------------------------------------
# SAM CLI runs `make build-<LogicalId>` in a copy of CodeUri (the repository root).
build-%Function:
	GOARCH=$(GOARCH_AWS) $(GO_BUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/$(call lower,$*)

# ---- builds for this machine -------------------------------------------------------------------
.PHONY: build build-arm64 cross
# `go build -v` names each package it compiles (none when the cache is warm): counted, they are
# the progress report of a first build, which compiles the AWS SDK (131 s on 2 quiet cores, docs/performance.md).
build: ## Build the bootstraps and local tools for this machine into build/<os>-<arch>/ (<LogicalId>/bootstrap, bin/)
	@set -o pipefail; CGO_ENABLED=0 $(GO) build -v $(GO_FLAGS) -o $(HOST_DIR)/bin/ $(LOCAL_PKGS) 2>&1 | \
	  awk -v target="$(HOST_GOOS)/$(HOST_GOARCH)" ' \
	    /^[A-Za-z0-9._~\/-]+$$/ { if (++n == 1) { printf "build: compiling for %s (a first build compiles the AWS SDK: about 2 minutes on 2 cores, longer on a busy machine; later ones take a second)\n", target; fflush() } \
	                             if (n % 50 == 0) { printf "build: %d packages compiled…\n", n; fflush() }; next } \
	    { print; fflush() } \
	    END { if (n > 0) printf "build: %d packages compiled\n", n }'
	@$(foreach fn,$(FUNCTIONS),mkdir -p $(HOST_DIR)/$(fn) && ln -sf ../bin/$(notdir $(call pkg,$(fn))) $(HOST_DIR)/$(fn)/bootstrap;)

# macOS cannot run in CI, so `make test` proves at least that everything make local runs builds
# and vets for it (vet with the build's flags, so both share the compiled dependencies): for Apple
# silicon always, and in CI (CI set to anything) for Intel Macs too; each architecture compiles the
# AWS SDK once more. Outside CI, go vet for darwin covers the packages whose files differ there
# (GOOS_SPECIFIC): the others are, file for file, what the host's vet in `make lint` checks. CI vets
# the whole tree for each architecture. Within `make test` outside CI, darwin/arm64 is type-checked
# from source (cmd/typecheck: what `go build` would refuse, with no code generated) instead of built:
# compiling the AWS SDK a third time was a third of a first `make test`. `make cross` alone and CI
# build for real.
RIE_PKG       := github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie
CROSS_ARCHS   ?= $(if $(CI),arm64 amd64,arm64)
CROSS_CHECK   ?= $(if $(CI),build,$(if $(TEST_STREAMS),typecheck,build))
CROSS_VET     ?= $(if $(CI),./...,$(GOOS_SPECIFIC))
GOOS_SPECIFIC  = $(shell for os in $(HOST_GOOS) darwin; do \
                   GOOS=$$os $(GO) list -f '{{.ImportPath}} {{.GoFiles}}{{.CgoFiles}}{{.TestGoFiles}}{{.XTestGoFiles}}' ./...; \
                 done | sort | uniq -u | cut -d' ' -f1 | sort -u)
cross: ## Cross-build and go vet for macOS everything make local, invoke and bench-load run: darwin/arm64, in CI also darwin/amd64 (CROSS_ARCHS="arm64 amd64", CROSS_VET=./...)
	@vet='$(strip $(CROSS_VET))'; for arch in $(CROSS_ARCHS); do \
	  echo "cross: darwin/$$arch, $(CROSS_CHECK), go vet $${vet:-(nothing differs from the host)}"; \
	  if [ $(CROSS_CHECK) = typecheck ]; then \
	    $(HOST_ENV) $(GO) run $(COMPILE_FLAGS) ./cmd/typecheck -goos darwin -goarch $$arch -tags $(BUILD_TAGS) $(LOCAL_PKGS) $(RIE_PKG) || exit 1; \
	  else CGO_ENABLED=0 GOOS=darwin GOARCH=$$arch $(GO) build $(GO_FLAGS) $(LOCAL_PKGS) $(RIE_PKG) || exit 1; fi; \
	  if [ -n "$$vet" ]; then CGO_ENABLED=0 GOOS=darwin GOARCH=$$arch $(GO) vet $(COMPILE_FLAGS) $$vet || exit 1; fi; \
	done

build-arm64: ## Build every function's bootstrap for AWS (arm64) into build/arm64/<LogicalId>/bootstrap
	@for fn in $(FUNCTIONS); do \
	  $(MAKE) --no-print-directory build-$$fn GOARCH_AWS=arm64 ARTIFACTS_DIR=$(BUILD_DIR)/arm64/$$fn || exit 1; \
	done

# ---- quality -----------------------------------------------------------------------------------
.PHONY: node-tools lint test fuzz bench
node-tools: $(NODE_DIR)/node_modules/.installed
$(NODE_DIR)/node_modules/.installed: $(NODE_DIR)/package.json $(NODE_DIR)/package-lock.json
	cd $(NODE_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

GO_FILES = $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './tools/node/*')

# go vet and staticcheck compile with the build's flags (HOST_ENV, COMPILE_FLAGS): they reuse what
# make build compiles and the reverse. goimports checks that imports are grouped as it groups them
# (standard library, other modules, this module), which `goimports -l` alone does not see.
lint: node-tools ## gofmt, goimports (grouping included), go vet, staticcheck, and both ASL validators on statemachines/ and the examples
	@unformatted=$$(gofmt -l $(GO_FILES)); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	@unsorted=$$($(HOST_ENV) tools/imports.sh $(GO_FILES)); \
	  if [ -n "$$unsorted" ]; then echo "goimports would change (tools/imports.sh -w FILE… fixes them):"; echo "$$unsorted"; exit 1; fi
	$(HOST_ENV) $(GO) vet $(COMPILE_FLAGS) ./...
	$(HOST_ENV) $(GO) tool staticcheck -tags $(BUILD_TAGS) ./...
	node $(NODE_DIR)/asl-lint.mjs statemachines/*.asl.json examples/*/statemachines/*.asl.json

# make test runs its parts side by side, because each alone leaves one of two cores idle for long
# stretches (one compiler on the AWS SDK's 14 MB EC2 package, tests waiting on processes): from the
# start `cross` (darwin; outside CI a type check, no compiler), the host's packages with the build's
# flags (.test-host) and the race tests' dependencies (.test-race-deps); then `lint` after the first, sharing what it compiled, and the race
# tests (.test-race) after both. No two of them compile the same package with the same flags at the
# same time, so nothing is compiled twice. Their output is interleaved, line by line.
test: ## The whole suite (race detector on): lint, darwin cross-build, AWS's tools, unit, template, emulator, differential and end-to-end tests
	@$(MAKE) --no-print-directory -j3 TEST_STREAMS=1 cross .test-race lint

# The module path, read only by .test-race-deps (so not on every make).
MODULE = $(shell $(GO) list -m)
.PHONY: .test-host .test-race-deps .test-race
.test-host:
	$(HOST_ENV) $(GO) build $(COMPILE_FLAGS) $(LOCAL_PKGS)
.test-race-deps:
	@CGO_ENABLED=1 $(GO) build -race $$($(GO) list -deps -test -f '{{if not .Standard}}{{.ImportPath}}{{end}}' ./... | grep -v '^$(MODULE)')
# Within make test, lint's vet and staticcheck come after .test-host, to reuse what it compiled.
lint: | $(if $(TEST_STREAMS),.test-host)

# One `go test` run builds and runs every test binary once, with the race detector (vet runs in
# lint, with every analyzer, so not again per package). gotestsum prints what `go test` prints,
# then lists every skipped test with its reason (`go test` shows skips only with -v), so a missing
# tool is seen; the checks with AWS's own tools are listed after it from the same run. gotestsum
# itself is built with the build's flags; the tests need cgo for the race detector, and the makes
# they run (make build) none of this make's jobserver.
.test-race: .test-host .test-race-deps
	@json=$$(mktemp); status=0; \
	  gotestsum=$$($(HOST_ENV) $(GO) tool -n gotestsum) && \
	  CGO_ENABLED=1 env -u MAKEFLAGS -u MFLAGS $$gotestsum --format standard-quiet --jsonfile $$json -- -race -vet=off -count=1 -timeout 12m ./... || status=$$?; \
	  echo "== the checks with AWS's own tools (make test-aws runs them alone)"; \
	  awk '/"Action":"(pass|fail|skip)"/ && /"Test":"($(AWS_TOOL_NAMES))"/ { \
	    a = $$0; sub(/.*"Action":"/, "", a); sub(/".*/, "", a); n = $$0; sub(/.*"Test":"/, "", n); sub(/".*/, "", n); \
	    printf "--- %s: %s\n", toupper(a), n }' $$json; \
	  rm -f $$json; exit $$status

# The checks with AWS's own tools, run verbosely so that a log shows each ran (or why it skipped:
# without python3's cfnlint and samtranslator they skip, naming what to install; with CI set to
# anything they fail).
AWS_TOOL_NAMES := TestCfnLint|TestSAMTransform|TestSAMStackMachinesIAM|TestAddYourWorkflowDeploys|TestSAMDeploymentFollowsAuthMode|TestSAMTracingAndLogs|TestOpenAPIDocumentsValid|TestREADMESamLocalInvoke
AWS_TOOL_TESTS := ^($(AWS_TOOL_NAMES))$$
.PHONY: test-aws
test-aws: ## cfn-lint, the SAM translator per AuthMode (template.yaml, and with README "Add your workflow" applied), OpenAPI validation, README's sam local invoke lines
	@out=$$(mktemp); status=0; \
	  CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 6m -v -run '$(AWS_TOOL_TESTS)' ./internal/devtools/samtemplate/ ./internal/offline/ >$$out 2>&1 || status=$$?; \
	  grep -E '^\s*--- (PASS|FAIL|SKIP)|^(ok|FAIL)\s|(aws_tools|addworkflow|openapi|samcli)_test\.go:[0-9]+:' $$out; rm -f $$out; exit $$status

FUZZTIME ?= 1m
fuzz: ## Run every fuzz target for FUZZTIME (default 1m) each
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

bench: build-arm64 bench-load ## Benchmarks: binary sizes, handler cost, cold start, engine throughput, offline-stack load
	@echo "== arm64 binary sizes (bytes; cap 10 MiB = 10485760)"
	@for fn in $(FUNCTIONS); do printf '%-20s %s\n' $$fn $$(stat -c %s $(BUILD_DIR)/arm64/$$fn/bootstrap); done
	$(GO) test -run '^$$' -bench . -benchmem ./...

.PHONY: bench-load
bench-load: build ## Load run against its own offline stack (free ports): POST /express-instance at 1 and 16 clients
	tools/bench-load.sh $(HOST_DIR)

# ---- run ---------------------------------------------------------------------------------------
.PHONY: local invoke deploy
LOCAL_FLAGS ?=
# AWS's Step Functions Local mock configuration (a MockConfigFile.json; SFN_MOCK_CONFIG works too), and
# the test case of the executions the API starts, per state machine: MOCK_TEST_CASE=stepgate_Order=HappyPath
MOCK_CONFIG ?=
MOCK_TEST_CASE ?=
local: build ## The whole product on this machine: API on 127.0.0.1:3000, AWS endpoint on 127.0.0.1:4566, dashboard on 127.0.0.1:3001 (TEMPLATE=examples/<name>/template.yaml runs an example; LOCAL_FLAGS="-api-addr 127.0.0.1:3002 -aws-addr 127.0.0.1:4567"; MOCK_CONFIG=MockConfigFile.json MOCK_TEST_CASE=machine=case; "-h" lists options)
	@$(HOST_DIR)/bin/stepgate-local -build-dir $(HOST_DIR) -template $(TEMPLATE) $(if $(MOCK_CONFIG),-mock-config $(MOCK_CONFIG)) $(if $(MOCK_TEST_CASE),-mock-test-case $(MOCK_TEST_CASE)) $(LOCAL_FLAGS)

FN       ?= start
EVENT    ?= events/express-instance.json
# The AWS endpoint the function talks to: used when a stepgate offline stack answers there (its
# health route says so), else make invoke starts one of its own for the call.
ENDPOINT ?= http://127.0.0.1:4566
invoke: build ## Invoke one function's bootstrap under AWS's Lambda emulator: make invoke FN=start EVENT=events/express-instance.json [ENDPOINT=http://127.0.0.1:4566]
	$(HOST_DIR)/bin/invoke -build-dir $(HOST_DIR) -function $(FN) -event $(EVENT) -endpoint $(ENDPOINT)

# The deployed stack the dashboard and env-deployed read (aws cloudformation describe-stack-resources).
STACK    ?= stepgate
API      ?=
.PHONY: dashboard
dashboard: ## The dashboard for the deployed stack STACK (default stepgate) on 127.0.0.1:3001, its routes and API read from the stack and TEMPLATE (STEPGATE_API_KEY=… for AuthMode API_KEY; API=<URL> for a custom domain)
	$(GO) run ./cmd/dashboard -stack '$(STACK)' -template '$(TEMPLATE)' $(if $(API),-api '$(API)')

deploy: ## sam build && sam deploy --guided (needs the SAM CLI and AWS credentials)
	sam build && sam deploy --guided

# --env-vars files for `sam local invoke`: SAM CLI resolves a Ref to a resource as its logical ID.
.PHONY: env-local env-deployed
ENDPOINT ?= http://127.0.0.1:4566
env-local: ## --env-vars file for sam local invoke against make local: build/env/local.json (ENDPOINT=http://host.docker.internal:4566 on Docker Desktop)
	@mkdir -p $(BUILD_DIR)/env
	$(GO) run ./cmd/sam-env-vars -local -endpoint $(ENDPOINT) -o $(BUILD_DIR)/env/local.json

env-deployed: ## --env-vars file from the deployed stack STACK (default stepgate), through the AWS CLI: build/env/deployed.json
	@mkdir -p $(BUILD_DIR)/env
	$(GO) run ./cmd/sam-env-vars -stack $(STACK) -o $(BUILD_DIR)/env/deployed.json

.PHONY: help clean
help: ## List the targets
	@grep -E '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | awk -F'\t' '{printf "  %-14s %s\n", $$1, $$2}'

clean: ## Remove build output
	rm -rf $(BUILD_DIR) .aws-sam
