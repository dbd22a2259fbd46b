# LatentVJ: the two commands of the README, and their parts.
BIN := .build/release/latentvj

.PHONY: setup build demo test bench clean

setup:
	@./scripts/setup.sh

build: setup
	swift build -c release

# The most complete pipeline so far: generate the demo track, plot what the engine hears in it, and
# render a music video of it with the default (untrained) model.
demo: build
	@mkdir -p out
	$(BIN) demo-audio -o out/demo.wav --truth out/demo-truth.json
	$(BIN) features out/demo.wav --plot out/demo-features.png
	$(BIN) render out/demo.wav -o out/demo.mp4 --synth onsets+chroma
	@echo "out/demo-features.png: what the engine hears; out/demo.mp4: its video (untrained demo model)"

# Release mode: the DSP tests run real signals and would crawl in a debug build.
test: build
	swift test -c release --disable-swift-testing

bench: build
	$(BIN) bench features
	$(BIN) bench render

clean:
	rm -rf .build out
