# The README's two commands: `make demo` and `make test`.
BUILD ?= build
JOBS ?= 2

.PHONY: demo deps build test test-asan test-release test-clang fuzz clean

demo: build
	$(BUILD)/kvmsim list
	$(BUILD)/kvmsim run hello --explain --hash

deps:
	sh scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j$(JOBS)

# what CI runs: every test in four builds (gcc RelWithDebInfo, gcc Asan+UBSan,
# gcc Release, clang RelWithDebInfo), each -Werror
test: build
	cd $(BUILD) && ctest -j$(JOBS) --output-on-failure
	$(MAKE) test-asan
	$(MAKE) test-release
	$(MAKE) test-clang

# every test again under AddressSanitizer + UBSan, leaks detected (the unit
# tests' suppressions are in tests/lsan.supp)
test-asan: deps
	cmake -S . -B $(BUILD)-asan -DCMAKE_BUILD_TYPE=Asan
	cmake --build $(BUILD)-asan -j$(JOBS)
	cd $(BUILD)-asan && ctest -j$(JOBS) --output-on-failure

# -O3: the optimiser's flow warnings (maybe-uninitialized) differ from -O2's
test-release: deps
	cmake -S . -B $(BUILD)-release -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD)-release -j$(JOBS)
	cd $(BUILD)-release && ctest -j$(JOBS) --output-on-failure

test-clang: deps
	CC=clang cmake -S . -B $(BUILD)-clang -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD)-clang -j$(JOBS)
	cd $(BUILD)-clang && ctest -j$(JOBS) --output-on-failure

# libFuzzer harnesses (tests/fuzz), FUZZ_SECONDS each (default 600)
fuzz: deps
	JOBS=$(JOBS) sh scripts/fuzz.sh $(BUILD)-fuzz

clean:
	rm -rf $(BUILD) $(BUILD)-asan $(BUILD)-release $(BUILD)-clang $(BUILD)-fuzz
