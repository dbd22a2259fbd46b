# LatentVJ: the two commands of the README, and their parts.
SHELL := /bin/bash
BIN := .build/release/latentvj

.PHONY: setup build demo test test-under-load tsan fuzz bench clean

setup:
	@./scripts/setup.sh

build: setup
	swift build -c release

# The engine on its built-in default: the demo track, the shipped envelope network, the untrained
# default model. With a display it runs live in a window (Esc quits); without one it renders the same
# engine's video of the demo track to out/demo.mp4.
demo: build
	@mkdir -p out
	$(BIN) demo-audio -o out/demo.wav --truth out/demo-truth.json
	$(BIN) features out/demo.wav --plot out/demo-features.png
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
		$(BIN) live --audio out/demo.wav; \
	else \
		$(BIN) render out/demo.wav -o out/demo.mp4 && \
		echo "no display: out/demo.mp4 is the engine's video of the demo track (untrained demo model)"; \
	fi

# Release mode: the DSP tests run real signals and would crawl in a debug build. Each test has a time
# limit and the run as a whole another (scripts/run-tests.sh).
test: build
	scripts/run-tests.sh

# The same suite while stress-ng keeps one core busy: nothing may depend on the machine's speed.
test-under-load: build
	scripts/test-under-load.sh

# ThreadSanitizer over the concurrency-heavy suites (live engine, control, recorder, JACK), in a build
# folder of its own. Deadlines are stretched (LVJ_TEST_TIMEOUT_SCALE): instrumented code runs slower.
# The suites that start a JACK server are skipped: libjack's own threads end inside an interceptor TSan
# cannot follow ("finished with ignores enabled"), which aborts the run (TempoEngineTests and
# ControllerFeedbackTests start one in setUp).
TSAN_SUITES ?= LiveTests|ControlTests|AudioInTests.SPSCRingTests|OSCQueryTests
TSAN_SKIP ?= JACK|MIDIEngineTests|TempoEngineTests|ControllerFeedbackTests
tsan: setup
	swift build --build-tests --sanitize=thread --scratch-path .build-tsan
	TSAN_OPTIONS="halt_on_error=0 second_deadlock_stack=1 history_size=4" LVJ_TEST_TIMEOUT_SCALE=6 \
		swift test --sanitize=thread --scratch-path .build-tsan --skip-build --disable-swift-testing --filter '$(TSAN_SUITES)' --skip '$(TSAN_SKIP)' 2>&1 | tee .build-tsan/tsan.log; \
	status=$${PIPESTATUS[0]}; races=$$(grep -c "WARNING: ThreadSanitizer" .build-tsan/tsan.log || true); \
	echo "tsan: $$races ThreadSanitizer reports"; [ $$status -eq 0 ] && [ $$races -eq 0 ]

# libFuzzer over every parser of outside input (FUZZ_SECONDS per target); see Docs/development.md.
FUZZ_SECONDS ?= 60
fuzz:
	scripts/fuzz.sh -t $(FUZZ_SECONDS)

bench: build
	$(BIN) bench features
	$(BIN) bench render
	$(BIN) bench synthesis

clean:
	rm -rf .build .build-fuzz out
