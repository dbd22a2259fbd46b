// swift-tools-version:6.0
// LatentVJ: audio-reactive StyleGAN2 visuals for live performance.
// One module per stage of the data flow; every C library is wrapped once, by one system-library target.
import PackageDescription

/// The numeric kernels (DSP, the generator's layers, video features) drop bounds checks in release
/// builds: their loops index preallocated buffers whose sizes are validated once, up front. Nothing that
/// parses outside input gets it (checkpoints are read by `ModelFiles`, built with checks): under
/// -Ounchecked an empty range written as `a..<b` with a > b, or an index off the end of a file's bytes,
/// is undefined behaviour instead of a trap.
let fastMath: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]

func system(_ name: String, _ pkg: String, apt: String) -> Target {
    .systemLibrary(name: name, pkgConfig: pkg, providers: [.apt([apt])])
}

let package = Package(
    name: "LatentVJ",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "latentvj", targets: ["LatentVJCLI"]),
        .executable(name: "latentvj-fuzz", targets: ["LatentVJFuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // C libraries, one wrapper each.
        system("CJack", "jack", apt: "libjack-jackd2-dev"),
        system("CALSA", "alsa", apt: "libasound2-dev"),
        system("CLiblo", "liblo", apt: "liblo-dev"),
        system("CFFTW", "fftw3f", apt: "libfftw3-dev"),
        system("CSDL2", "sdl2", apt: "libsdl2-dev"),
        system("COpenBLAS", "openblas", apt: "libopenblas-dev"),
        system("CPNG", "libpng", apt: "libpng-dev"),
        system("CGStreamer", "gstreamer-app-1.0", apt: "libgstreamer-plugins-base1.0-dev"),
        system("CAvahi", "avahi-client", apt: "libavahi-client-dev"),
        // NDI's sender, declared from its public documentation and loaded at run time (nothing to link).
        .systemLibrary(name: "CNDI"),
        // glibc's allocator knobs (part of libc: nothing to install or link).
        .systemLibrary(name: "CMalloc"),
        // ThreadSanitizer's annotations as weak references (nothing to install or link).
        .systemLibrary(name: "CSanitizer"),

        // Shared vocabulary: errors, progress, small numeric helpers.
        .target(name: "Basics", dependencies: ["CMalloc", "CSanitizer"]),
        // BLAS/LAPACK in one place.
        .target(name: "LinearAlgebra", dependencies: ["COpenBLAS", "Basics"]),
        // Audio in: WAV, ffmpeg decoding, the demo track, audio devices.
        .target(name: "AudioIn", dependencies: ["Basics", "CJack"]),
        // Audio features: offline (thesis) and causal (live) extractors on one DSP core.
        .target(name: "Features", dependencies: ["Basics", "LinearAlgebra", "CFFTW"], swiftSettings: fastMath),
        // StyleGAN2 on the CPU: the mapping and synthesis networks (numeric kernels only).
        .target(name: "StyleGAN", dependencies: ["Basics", "LinearAlgebra"], swiftSettings: fastMath),
        // Model files from outside: pickles, safetensors, the cached default model. Bounds-checked.
        .target(name: "ModelFiles", dependencies: ["Basics", "StyleGAN"]),
        // Synthesis: what drives the generator: interpolation groups, the parameter-free decoder, the
        // envelope network (GRU) and its training, HiPPO, the Randomizer.
        .target(name: "Synthesis", dependencies: ["Basics", "Features", "StyleGAN", "LinearAlgebra", "Correlation", "COpenBLAS"]),
        // Recording: frames (and audio) to video files through ffmpeg.
        .target(name: "Recording", dependencies: ["Basics", "AudioIn"]),
        // Video features of thesis Table 3.2 (what the picture does), and video decoding through ffmpeg.
        .target(name: "VideoFeatures", dependencies: ["Basics", "Features", "CFFTW"], swiftSettings: fastMath),
        // Audiovisual correlation: matrix correlations, scoring, the rolling correlator.
        .target(name: "Correlation", dependencies: ["Basics", "Features", "LinearAlgebra"]),
        // Raster images, bitmap font, plots, PNG files.
        .target(name: "Imaging", dependencies: ["Basics", "CPNG"]),
        // Control: the parameter registry and store, OSC (liblo), MIDI (JACK and ALSA), mapping files, presets.
        .target(name: "Control", dependencies: ["Basics", "Tempo", "CLiblo", "CALSA", .product(name: "Yams", package: "Yams")]),
        // Tempo: where the beat comes from (the audio's pulse, MIDI clock, JACK transport, Ableton Link,
        // taps) and changes on the beat.
        .target(name: "Tempo", dependencies: ["CAbletonLink"]),
        // Ableton Link (Debian's ableton-link-dev, header-only C++ with asio): a small C shim.
        .target(name: "CAbletonLink", cxxSettings: [.define("LINK_PLATFORM_LINUX", to: "1"), .unsafeFlags(["-Wno-deprecated-declarations"])],
                linkerSettings: [.linkedLibrary("pthread")]),
        // Display: the SDL2 window.
        .target(name: "Display", dependencies: ["Basics", "Imaging", "CSDL2"]),

        // Outputs into the VJ's rig: NDI, v4l2loopback, shared memory, SRT, RTP, any GStreamer sink.
        .target(name: "Outputs", dependencies: ["Basics", "AudioIn", "Imaging", "CGStreamer", "CNDI"]),

        // The live engine: audio source, frame producer, triple buffer; the CLI's `live` drives it.
        // OSCQuery: the address space over HTTP for ossia score, Chataigne, VDMX, Max (SwiftNIO).
        .target(name: "OSCQuery", dependencies: ["Control", "CAvahi", .product(name: "NIOCore", package: "swift-nio"),
                                                 .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                                                 .product(name: "NIOWebSocket", package: "swift-nio")]),
        .target(name: "Live", dependencies: ["OSCQuery", "Basics", "AudioIn", "Control", "Features", "Synthesis", "StyleGAN", "ModelFiles", "Correlation", "VideoFeatures", "Recording", "Outputs", "Display", "Imaging", "Tempo", "CJack"]),

        .executableTarget(
            name: "LatentVJCLI",
            dependencies: [
                "Basics", "AudioIn", "Features", "Imaging", "LinearAlgebra", "Control", "Display", "StyleGAN", "Synthesis", "Recording", "VideoFeatures", "Correlation", "Live", "ModelFiles", "Outputs", "Tempo", "OSCQuery",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/LatentVJCLI"
        ),

        // Fuzzing (issue 8): one entry per parser of outside input, and the libFuzzer driver (scripts/fuzz.sh).
        .target(name: "FuzzTargets", dependencies: ["AudioIn", "Control", "Features", "Live", "StyleGAN", "ModelFiles", "Synthesis"], path: "Fuzz/FuzzTargets"),
        .executableTarget(name: "LatentVJFuzz", dependencies: ["FuzzTargets"], path: "Fuzz/LatentVJFuzz"),

        // Test support: counts heap allocations per thread (real-time contract tests).
        .target(name: "AllocationCounter", path: "Tests/AllocationCounter"),
        // Test support: real servers (JACK), child processes with deadlines and thread stacks, waiting on
        // conditions, and the per-test time limit every test case inherits.
        .target(name: "TestSupport", dependencies: ["Basics", "Outputs"], path: "Tests/TestSupport"),

        .testTarget(name: "AudioInTests", dependencies: ["TestSupport", "AudioIn", "Basics", "AllocationCounter"]),
        .testTarget(name: "FeaturesTests", dependencies: ["TestSupport", "Features", "AudioIn", "Basics", "LinearAlgebra", "AllocationCounter"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "ImagingTests", dependencies: ["TestSupport", "Imaging", "AllocationCounter"]),
        .testTarget(name: "VideoFeaturesTests", dependencies: ["TestSupport", "VideoFeatures", "Features", "Basics", "AllocationCounter"]),
        .testTarget(name: "CorrelationTests", dependencies: ["TestSupport", "Correlation", "Features", "Basics", "LinearAlgebra"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "SynthesisTests", dependencies: ["TestSupport", "Synthesis", "StyleGAN", "ModelFiles", "Features", "Basics", "AudioIn", "LinearAlgebra", "Correlation", "AllocationCounter"]),
        .testTarget(name: "StyleGANTests", dependencies: ["TestSupport", "StyleGAN", "ModelFiles", "Basics", "LinearAlgebra", "AllocationCounter"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "CLITests", dependencies: ["TestSupport", "AudioIn", "Basics", "Imaging", "Control"], exclude: ["Scripts"]),
        .testTarget(name: "LiveTests", dependencies: ["TestSupport", "Live", "Outputs", "Imaging", "Tempo", "Control", "Recording", "AudioIn", "Basics", "Features", "StyleGAN", "ModelFiles", "Synthesis", "AllocationCounter"]),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["TestSupport", "FuzzTargets"]),
        .testTarget(name: "ControlTests", dependencies: ["TestSupport", "Control", "Basics", "AllocationCounter"]),
        .testTarget(name: "OSCQueryTests", dependencies: ["TestSupport", "OSCQuery", "Control"]),
        .testTarget(name: "OutputsTests", dependencies: ["TestSupport", "Outputs", "Imaging", "Basics", "AllocationCounter"]),
        .testTarget(name: "TempoTests", dependencies: ["TestSupport", "Tempo"]),
        .testTarget(name: "DisplayTests", dependencies: ["TestSupport", "Display", "Imaging", "Basics"]),
    ],
    swiftLanguageModes: [.v5],
    cxxLanguageStandard: .cxx17
)
