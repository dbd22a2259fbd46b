# LatentVJ: the two commands of the README, and their parts.
BIN := .build/release/latentvj

.PHONY: setup build demo test fuzz bench clean

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

# Release mode: the DSP tests run real signals and would crawl in a debug build.
test: build
	swift test -c release --disable-swift-testing

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
