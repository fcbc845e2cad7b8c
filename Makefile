# Two commands matter: `make run` and `make test`. The rest are their parts.
# Builds are serialised through a lock so parallel invocations never corrupt a build tree.

BUILD_DIR   ?= build
RELEASE_DIR ?= build-release
JOBS        ?= $(shell nproc)
LOCK        := flock $(CURDIR)/.build.lock
CMAKE_FLAGS ?=

.PHONY: all deps build release test run bench fuzz services-start services-stop format clean

all: build

deps:
	@scripts/install-deps

$(BUILD_DIR)/build.ninja:
	@$(LOCK) cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null

$(RELEASE_DIR)/build.ninja:
	@$(LOCK) cmake -S . -B $(RELEASE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DRAFIKI_TESTS=OFF $(CMAKE_FLAGS) >/dev/null

build: deps $(BUILD_DIR)/build.ninja
	@$(LOCK) cmake --build $(BUILD_DIR) -j $(JOBS)

release: deps $(RELEASE_DIR)/build.ninja
	@$(LOCK) cmake --build $(RELEASE_DIR) -j $(JOBS)

test: build
	@BUILD_DIR=$(BUILD_DIR) scripts/test

run: release
	@RELEASE_DIR=$(RELEASE_DIR) scripts/run

bench: release
	@RELEASE_DIR=$(RELEASE_DIR) scripts/bench

# libFuzzer targets of fuzz/ for FUZZ_SECONDS each (default 60); not part of `make test`.
fuzz: deps
	@scripts/fuzz

services-start:
	@scripts/services start

services-stop:
	@scripts/services stop

format:
	@clang-format -i $$(git ls-files 'src/*.cpp' 'src/*.h' 'tests/*.cpp' 'tests/*.h' 'bench/*.cpp')

clean:
	rm -rf $(BUILD_DIR) $(RELEASE_DIR)
