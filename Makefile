# Tool versions are pinned here and installed into .bin (never into go.mod).
BUF_VERSION             := v1.75.0
PROTOC_GEN_GO_VERSION   := v1.36.12
PROTOC_GEN_GO_GRPC_VERSION := v1.5.1
BIN := $(CURDIR)/.bin

.PHONY: tools generate generate-python lint test check browser-deps consul test-deps python-deps

# The real Consul agent the discovery tests run against. Built from the Go
# module proxy through the scratch module in tools/consul (its go.mod pins the
# version and repeats Consul's excludes) and cached by version outside the
# repository, where internal/testutil looks for it. Cold: 10-20+ min on 2
# cores; cached: nothing to do.
CONSUL_VERSION := v1.22.3
# Go's os.UserCacheDir, where internal/testutil looks (or set NATSGW_CONSUL).
ifeq ($(shell uname),Darwin)
CONSUL_DIR     := $(HOME)/Library/Caches/natsgw-tools
else
CONSUL_DIR     := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/natsgw-tools
endif
CONSUL_BIN     := $(CONSUL_DIR)/consul-$(CONSUL_VERSION)

tools: $(BIN)/buf-$(BUF_VERSION) $(BIN)/protoc-gen-go-$(PROTOC_GEN_GO_VERSION) $(BIN)/protoc-gen-go-grpc-$(PROTOC_GEN_GO_GRPC_VERSION)

$(BIN)/buf-$(BUF_VERSION):
	GOBIN=$(BIN) go install github.com/bufbuild/buf/cmd/buf@$(BUF_VERSION)
	touch $@
$(BIN)/protoc-gen-go-$(PROTOC_GEN_GO_VERSION):
	GOBIN=$(BIN) go install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	touch $@
$(BIN)/protoc-gen-go-grpc-$(PROTOC_GEN_GO_GRPC_VERSION):
	GOBIN=$(BIN) go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)
	touch $@

generate: tools
	$(BIN)/buf generate

# The Python client's protobuf and gRPC modules (clients/python/natsgw/_proto).
# Needs protoc and grpc_python_plugin (Debian: protobuf-compiler
# protobuf-compiler-grpc).
generate-python:
	clients/python/generate.sh

lint: tools
	$(BIN)/buf lint

test:
	go test -race ./...

# Everything the full test suite needs beyond Go: Debian's Python packages
# (the Python client's tests), Chromium and playwright-core (the console's
# browser tests) and a Consul agent (the discovery tests; built once, 10-20
# minutes). Without them those tests skip locally, naming what is missing.
test-deps: python-deps browser-deps consul

PYTHON_DEPS := python3-grpcio python3-protobuf python3-pytest protobuf-compiler protobuf-compiler-grpc
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
python-deps:
	@dpkg -s $(PYTHON_DEPS) >/dev/null 2>&1 || ($(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(PYTHON_DEPS))

# Browser tests (test/e2e/console_browser_test.go): Debian's Chromium and
# playwright-core from npm (pinned in test/e2e/browser/package-lock.json;
# it never downloads a browser).
browser-deps:
	@command -v node >/dev/null || ($(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nodejs npm)
	@test -x /usr/bin/chromium || ($(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium)
	@test -d test/e2e/browser/node_modules/playwright-core || npm ci --prefix test/e2e/browser --no-audit --no-fund

consul: $(CONSUL_BIN)

# Keyed by version only: a checkout that touches go.mod must not rebuild.
$(CONSUL_BIN):
	@grep -q 'github.com/hashicorp/consul $(CONSUL_VERSION)$$' tools/consul/go.mod || \
		{ echo "tools/consul/go.mod does not require consul $(CONSUL_VERSION)"; exit 1; }
	mkdir -p $(CONSUL_DIR)
	cd tools/consul && go build -trimpath -ldflags='-s -w' -o $@.tmp github.com/hashicorp/consul
	mv $@.tmp $@
	$@ version
