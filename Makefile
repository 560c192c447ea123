# The README's two commands: `make demo` and `make test`.
BUILD ?= build
JOBS ?= 2

.PHONY: demo deps build test test-asan clean

demo: build
	$(BUILD)/kvmsim list
	$(BUILD)/kvmsim run hello --explain --hash

deps:
	sh scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j$(JOBS)

test: build
	cd $(BUILD) && ctest -j$(JOBS) --output-on-failure
	$(MAKE) test-asan

# every test again under AddressSanitizer + UBSan
test-asan: deps
	cmake -S . -B $(BUILD)-asan -DCMAKE_BUILD_TYPE=Asan
	cmake --build $(BUILD)-asan -j$(JOBS)
	cd $(BUILD)-asan && ASAN_OPTIONS=detect_leaks=0 ctest -j$(JOBS) --output-on-failure

clean:
	rm -rf $(BUILD) $(BUILD)-asan
