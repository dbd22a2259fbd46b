# LatentVJ: the two commands of the README, and their parts.
BIN := .build/release/latentvj

.PHONY: setup build demo test bench clean

setup:
	@./scripts/setup.sh

build: setup
	swift build -c release

# The most complete pipeline so far: generate the demo track, analyse it, plot what the engine hears.
demo: build
	@mkdir -p out
	$(BIN) demo-audio -o out/demo.wav --truth out/demo-truth.json
	$(BIN) features out/demo.wav --plot out/demo-features.png
	@echo "open out/demo-features.png to see the features of the demo track"

# Release mode: the DSP tests run real signals and would crawl in a debug build.
test: build
	swift test -c release --disable-swift-testing

bench: build
	$(BIN) bench features
	$(BIN) bench render

clean:
	rm -rf .build out
