import Basics
import Foundation
import ModelFiles
import StyleGAN
import TestSupport
import XCTest

/// Checkpoint formats: the stylegan2-ada-pytorch pickle reader, our safetensors files, and every way
/// a model file can be wrong. Each refusal must name the file and say what is wrong or what it is.
final class CheckpointTests: TimeLimitedTestCase {
    static let fixtures = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("stylegan2")
    static let pkl = fixtures.appendingPathComponent("tiny32.pkl").path

    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("checkpoint-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    // MARK: Helpers

    func write(_ bytes: [UInt8], _ name: String) throws -> String {
        let path = folder.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// The call fails with a FileError about `path` whose message contains every fragment.
    func assertRefused(_ path: String, _ fragments: [String], file: StaticString = #filePath, line: UInt = #line,
                       _ body: (String) throws -> Any) {
        do {
            _ = try body(path)
            XCTFail("\(path) loaded, expected a refusal containing \(fragments)", file: file, line: line)
        } catch let error as FileError {
            let message = error.description
            XCTAssertEqual(error.path, path, file: file, line: line)
            XCTAssertTrue(message.contains(path), "message does not name the file: \(message)", file: file, line: line)
            for fragment in fragments {
                XCTAssertTrue(message.contains(fragment), "message \"\(message)\" lacks \"\(fragment)\"", file: file, line: line)
            }
        } catch {
            XCTFail("expected a FileError, got \(type(of: error)): \(error)", file: file, line: line)
        }
    }

    func assertPickleRefused(_ bytes: [UInt8], _ fragments: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let path = try write(bytes, "case-\(line).pkl")
        assertRefused(path, fragments, file: file, line: line) { try StyleGANPickle.loadGenerator(path: $0) }
    }

    static func manifest() throws -> [String: Any] {
        let data = try Data(contentsOf: fixtures.appendingPathComponent("tiny32_manifest.json"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// A small conditional generator with seeded values that float16 holds exactly.
    static func tinyWeights(convClamp: Float? = 256) -> GeneratorWeights {
        let a = GeneratorArchitecture(zDim: 3, wDim: 2, cDim: 2, imgResolution: 8, imgChannels: 3, channelBase: 16, channelMax: 4,
                                      mappingLayers: 2, mappingLrMultiplier: 0.01, convClamp: convClamp)
        var rng = SeededRandom(seed: 7)
        var tensors = [String: Tensor]()
        for (name, shape) in a.expectedTensors() {
            let n = shape.reduce(1, *)
            tensors[name] = Tensor(shape: shape, values: (0..<n).map { _ in Float(Float16(Float(rng.normal()))) })
        }
        return GeneratorWeights(architecture: a, tensors: tensors, label: "tiny")
    }

    func assertSameTensors(_ a: GeneratorWeights, _ b: GeneratorWeights, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(Set(a.tensors.keys), Set(b.tensors.keys), file: file, line: line)
        for (name, t) in a.tensors where b.tensors[name] != t {
            XCTFail("tensor \(name) differs", file: file, line: line)
        }
    }

    // MARK: The fixture

    func testFixtureLoadsWithTheManifestArchitecture() throws {
        let m = try Self.manifest()
        let weights = try StyleGANPickle.loadGenerator(path: Self.pkl)
        let a = weights.architecture
        XCTAssertEqual(a, GeneratorArchitecture(
            zDim: m["z_dim"] as! Int, wDim: m["w_dim"] as! Int, cDim: 0, imgResolution: m["img_resolution"] as! Int, imgChannels: 3,
            channelBase: m["channel_base"] as! Int, channelMax: m["channel_max"] as! Int, mappingLayers: m["mapping_layers"] as! Int,
            mappingLrMultiplier: 0.01, convClamp: Float(m["conv_clamp"] as! Double), architecture: "skip"))
        XCTAssertEqual(a.numWs, 8)
        XCTAssertEqual(a.numWs, m["num_ws"] as! Int)
        for (name, shape) in a.expectedTensors() {
            XCTAssertEqual(weights.tensors[name]?.shape, shape, name)
        }
        XCTAssertEqual(weights.tensors.count, a.expectedTensors().count)
        XCTAssertEqual(weights.label, "tiny32.pkl")
        XCTAssertFalse(weights.untrained)

        let loaded = try GeneratorCheckpoint.load(path: Self.pkl)
        XCTAssertEqual(loaded.format, .styleGAN2Pickle)
        XCTAssertEqual(loaded.storedDType, "float32")
    }

    /// tensor_checksums.json is written by tensor_checksums.py (pickle + numpy, no torch): an
    /// independent reading of the same file.
    func testFixtureTensorsMatchPython() throws {
        let data = try Data(contentsOf: Self.fixtures.appendingPathComponent("tensor_checksums.json"))
        let python = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: [String: Any]])
        let weights = try StyleGANPickle.loadGenerator(path: Self.pkl)
        func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-4 * max(abs(b), 1e-3) }
        for (name, tensor) in weights.tensors {
            let entry = try XCTUnwrap(python[name], "python has no \(name)")
            XCTAssertEqual(entry["shape"] as? [Int], tensor.shape, name)
            let sum = tensor.values.reduce(0.0) { $0 + Double($1) }
            let pythonSum = try XCTUnwrap(entry["sum"] as? Double)
            XCTAssertTrue(close(sum, pythonSum), "\(name): sum \(sum), python \(pythonSum)")
            let first = try XCTUnwrap(entry["first"] as? [Double])
            XCTAssertEqual(first.count, min(3, tensor.count), name)
            for (i, v) in first.enumerated() {
                XCTAssertTrue(close(Double(tensor.values[i]), v), "\(name)[\(i)]: \(tensor.values[i]), python \(v)")
            }
        }
        // What PyTorch's state_dict has beyond what we run: only the unused resample filters.
        let dropped = Set(python.keys).subtracting(weights.tensors.keys)
        XCTAssertFalse(dropped.isEmpty)
        XCTAssertTrue(dropped.allSatisfy { $0.hasSuffix(".resample_filter") }, "\(dropped.sorted())")
    }

    // MARK: Safetensors

    func testSafeTensorsFloat32RoundTripIsExact() throws {
        let weights = try StyleGANPickle.loadGenerator(path: Self.pkl)
        let path = folder.appendingPathComponent("t.safetensors").path
        try SafeTensorsFile.write(weights, to: path, dtype: .float32)
        let back = try SafeTensorsFile.load(path: path)
        XCTAssertEqual(back.architecture, weights.architecture)
        XCTAssertEqual(back.label, "tiny32.pkl")
        XCTAssertFalse(back.untrained)
        assertSameTensors(weights, back)

        // The layout: 8-byte length, space-padded JSON, 8-byte-aligned data in expectedTensors() order.
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let n = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        XCTAssertEqual((8 + n) % 8, 0)
        let header = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + n)])) as? [String: Any])
        let metadata = try XCTUnwrap(header["__metadata__"] as? [String: String])
        XCTAssertEqual(metadata["format"], "latentvj-stylegan2")
        XCTAssertEqual(metadata["untrained"], "false")
        XCTAssertEqual(metadata["label"], "tiny32.pkl")
        XCTAssertEqual(try JSONDecoder().decode(GeneratorArchitecture.self, from: Data(metadata["architecture"]!.utf8)), weights.architecture)
        var end = 0
        for (name, shape) in weights.architecture.expectedTensors() {
            let entry = try XCTUnwrap(header[name] as? [String: Any], name)
            XCTAssertEqual(entry["dtype"] as? String, "F32")
            XCTAssertEqual(entry["shape"] as? [Int], shape)
            let offsets = try XCTUnwrap(entry["data_offsets"] as? [Int])
            XCTAssertEqual(offsets[0], end, "\(name) does not follow the previous tensor")
            end = offsets[1]
        }
        XCTAssertEqual(8 + n + end, bytes.count)
    }

    func testSafeTensorsFloat16RoundTripWithinHalfPrecision() throws {
        let weights = try StyleGANPickle.loadGenerator(path: Self.pkl)
        let path32 = folder.appendingPathComponent("t32.safetensors").path
        let path16 = folder.appendingPathComponent("t16.safetensors").path
        try SafeTensorsFile.write(weights, to: path32, dtype: .float32)
        try SafeTensorsFile.write(weights, to: path16, dtype: .float16)
        let loaded = try GeneratorCheckpoint.load(path: path16)
        XCTAssertEqual(loaded.format, .safetensors)
        XCTAssertEqual(loaded.storedDType, "float16")
        XCTAssertEqual(loaded.weights.architecture, weights.architecture)
        XCTAssertEqual(loaded.weights.label, weights.label)
        for (name, t) in weights.tensors {
            let back = try XCTUnwrap(loaded.weights.tensors[name])
            XCTAssertEqual(back.shape, t.shape)
            for (a, b) in zip(t.values, back.values) where abs(a - b) > max(abs(a) * 0x1p-11, 0x1p-24) {
                XCTFail("\(name): \(a) came back as \(b)")
                break
            }
        }
        let size = { (p: String) in try FileManager.default.attributesOfItem(atPath: p)[.size] as! Int }
        XCTAssertLessThan(try size(path16), try size(path32) * 6 / 10)
    }

    func testUntrainedFlagAndLabelRoundTrip() throws {
        var weights = Self.tinyWeights()
        weights.untrained = true
        weights.label = "untrained demo model (seed 1) \"quoted\"\n"
        let path = folder.appendingPathComponent("u.safetensors").path
        try SafeTensorsFile.write(weights, to: path, dtype: .float16)
        let back = try SafeTensorsFile.load(path: path)
        XCTAssertTrue(back.untrained)
        XCTAssertEqual(back.label, weights.label)
        XCTAssertEqual(back.architecture, weights.architecture)
        assertSameTensors(weights, back)  // the values are half-exact

        weights.untrained = false
        try SafeTensorsFile.write(weights, to: path, dtype: .float32)
        XCTAssertFalse(try SafeTensorsFile.load(path: path).untrained)
    }

    /// We rely on Swift's Float16 for the conversions: round to nearest even, subnormals, overflow, NaN.
    func testFloat16Conversion() throws {
        XCTAssertEqual(Float16(Float(1.0 / 3.0)).bitPattern, 0x3555)
        XCTAssertEqual(Float16(Float(65504)).bitPattern, 0x7BFF)
        XCTAssertEqual(Float16(Float(65519.99)).bitPattern, 0x7BFF)
        XCTAssertEqual(Float16(Float(65520)).bitPattern, 0x7C00)           // halfway to the next binade: infinity
        XCTAssertEqual(Float16(Float(1 + 0x1p-11)).bitPattern, 0x3C00)      // tie, rounds to even
        XCTAssertEqual(Float16(Float(1 + 3 * 0x1p-11)).bitPattern, 0x3C02)  // tie, rounds to even
        XCTAssertEqual(Float16(Float(0x1p-24)).bitPattern, 0x0001)          // smallest subnormal
        XCTAssertEqual(Float16(Float(0x1p-25)).bitPattern, 0x0000)          // tie with zero: even
        XCTAssertEqual(Float16(Float(-0x1.8p-24)).bitPattern, 0x8002)
        XCTAssertEqual(Float(Float16(bitPattern: 0x03FF)), 0x1.ff8p-15)
        XCTAssertEqual(Float(Float16(bitPattern: 0xFC00)), -.infinity)
        XCTAssertTrue(Float(Float16(bitPattern: 0x7E00)).isNaN)
        XCTAssertTrue(Float16(Float.nan).isNaN)

        var weights = Self.tinyWeights()
        weights.tensors["synthesis.b8.conv1.bias"]!.values[1] = 70_000
        let path = folder.appendingPathComponent("big.safetensors").path
        assertRefused(path, ["float16", "synthesis.b8.conv1.bias", "65504"]) {
            try SafeTensorsFile.write(weights, to: $0, dtype: .float16)
        }
        try SafeTensorsFile.write(weights, to: path, dtype: .float32)
        XCTAssertEqual(try SafeTensorsFile.load(path: path).tensors["synthesis.b8.conv1.bias"]!.values[1], 70_000)
    }

    /// Rewrites a safetensors file's header through `edit` (the JSON as a dictionary).
    func editedSafeTensors(_ source: String, _ name: String, _ edit: (inout [String: Any]) -> Void) throws -> String {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: source)))
        let n = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        var header = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + n)])) as? [String: Any])
        edit(&header)
        var json = [UInt8](try JSONSerialization.data(withJSONObject: header))
        while json.count % 8 != 0 { json.append(0x20) }
        return try write(PickleWriter.le(json.count, 8) + json + bytes[(8 + n)...], name)
    }

    func testSafeTensorsRefusals() throws {
        let good = folder.appendingPathComponent("good.safetensors").path
        try SafeTensorsFile.write(Self.tinyWeights(), to: good, dtype: .float32)
        func entry(_ h: [String: Any], _ name: String) -> [String: Any] { h[name] as! [String: Any] }

        var path = try editedSafeTensors(good, "notours.safetensors") { $0["__metadata__"] = ["format": "pt"] }
        assertRefused(path, ["not a LatentVJ StyleGAN2 model"]) { try SafeTensorsFile.load(path: $0) }

        path = try editedSafeTensors(good, "bf16.safetensors") { h in
            var e = entry(h, "mapping.fc0.bias"); e["dtype"] = "BF16"; h["mapping.fc0.bias"] = e
        }
        assertRefused(path, ["mapping.fc0.bias", "BF16"]) { try SafeTensorsFile.load(path: $0) }

        path = try editedSafeTensors(good, "shape.safetensors") { h in
            var e = entry(h, "synthesis.b4.const"); e["shape"] = [4, 2, 8]; h["synthesis.b4.const"] = e
        }
        assertRefused(path, ["synthesis.b4.const", "shape [4, 2, 8]"]) { try SafeTensorsFile.load(path: $0) }

        path = try editedSafeTensors(good, "overlap.safetensors") { h in
            var e = entry(h, "mapping.fc0.bias")
            let w = entry(h, "mapping.fc0.weight")["data_offsets"] as! [Int]
            e["data_offsets"] = [w[0], w[0] + 8]; h["mapping.fc0.bias"] = e
        }
        assertRefused(path, ["overlap", "mapping.fc0.bias"]) { try SafeTensorsFile.load(path: $0) }

        path = try editedSafeTensors(good, "outside.safetensors") { h in
            var e = entry(h, "synthesis.b8.torgb.bias"); e["data_offsets"] = [1_000_000, 1_000_012]; h["synthesis.b8.torgb.bias"] = e
        }
        assertRefused(path, ["synthesis.b8.torgb.bias", "outside"]) { try SafeTensorsFile.load(path: $0) }

        path = try editedSafeTensors(good, "size.safetensors") { h in
            var e = entry(h, "mapping.fc1.bias"); let o = e["data_offsets"] as! [Int]
            e["data_offsets"] = [o[0], o[1] - 4]; h["mapping.fc1.bias"] = e
        }
        assertRefused(path, ["mapping.fc1.bias", "data bytes"]) { try SafeTensorsFile.load(path: $0) }

        path = try editedSafeTensors(good, "missing.safetensors") { $0["mapping.w_avg"] = nil }
        assertRefused(path, ["mapping.w_avg"]) { try SafeTensorsFile.load(path: $0) }

        path = try editedSafeTensors(good, "extra.safetensors") { h in h["mapping.fc9.weight"] = entry(h, "mapping.fc0.weight") }
        assertRefused(path, ["mapping.fc9.weight"]) { try SafeTensorsFile.load(path: $0) }

        path = try editedSafeTensors(good, "arch.safetensors") { h in
            var m = h["__metadata__"] as! [String: String]
            m["architecture"] = m["architecture"]!.replacingOccurrences(of: "\"imgResolution\":8", with: "\"imgResolution\":12")
            h["__metadata__"] = m
        }
        assertRefused(path, ["img_resolution 12"]) { try SafeTensorsFile.load(path: $0) }

        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: good)))
        path = try write(Array(bytes.prefix(200)), "short.safetensors")
        assertRefused(path, ["truncated"]) { try SafeTensorsFile.load(path: $0) }
        bytes.replaceSubrange(8..<12, with: Array("{\"a\"".utf8) + [])
        path = try write(bytes, "json.safetensors")
        assertRefused(path, ["malformed", "JSON"]) { try SafeTensorsFile.load(path: $0) }

        // A NaN in the data: named by tensor.
        bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: good)))
        let n = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        bytes.replaceSubrange((8 + n)..<(8 + n + 4), with: PickleWriter.le(Int(Float.nan.bitPattern), 4))
        path = try write(bytes, "nan.safetensors")
        let first = Self.tinyWeights().architecture.expectedTensors()[0].name
        assertRefused(path, [first, "NaN"]) { try SafeTensorsFile.load(path: $0) }

        path = try write(Array(try Data(contentsOf: URL(fileURLWithPath: Self.pkl))), "model.safetensors")
        assertRefused(path, ["pickle", "latentvj convert"]) { try SafeTensorsFile.load(path: $0) }
    }

    // MARK: Damaged files never crash

    /// Loads each variant; every outcome must be a model or a FileError about that file.
    func assertLoadsOrFileError(_ variants: [[UInt8]], name: String, load: (String) throws -> Any) throws -> (loaded: Int, refused: Int) {
        var loaded = 0, refused = 0
        for (i, bytes) in variants.enumerated() {
            let path = try write(bytes, "\(name)-\(i)")
            do {
                _ = try load(path)
                loaded += 1
            } catch let error as FileError {
                XCTAssertEqual(error.path, path)
                XCTAssertFalse(error.problem.isEmpty)
                refused += 1
            } catch {
                XCTFail("variant \(i) of \(name): \(type(of: error)) \(error)")
            }
            try? FileManager.default.removeItem(atPath: path)
        }
        return (loaded, refused)
    }

    static func cuts(of bytes: [UInt8], count: Int, seed: UInt64) -> [[UInt8]] {
        var rng = SeededRandom(seed: seed)
        var lengths = [0, 1, 2, 8, 9, bytes.count - 1]
        while lengths.count < count { lengths.append(Int(rng.next() % UInt64(bytes.count))) }
        return lengths.map { Array(bytes.prefix($0)) }
    }

    static func flips(of bytes: [UInt8], count: Int, seed: UInt64) -> [[UInt8]] {
        var rng = SeededRandom(seed: seed)
        return (0..<count).map { _ in
            var b = bytes
            b[Int(rng.next() % UInt64(b.count))] ^= UInt8(1 + rng.next() % 255)
            return b
        }
    }

    func testCutPicklesAreRefused() throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.pkl)))
        let (loaded, refused) = try assertLoadsOrFileError(Self.cuts(of: bytes, count: 50, seed: 1), name: "cut.pkl") {
            try StyleGANPickle.loadGenerator(path: $0)
        }
        XCTAssertEqual(loaded, 0)
        XCTAssertEqual(refused, 50)

        // The fixture's FRAME headers catch most cuts at once; the older form has none, so its cuts
        // land in every kind of opcode and in the embedded storages.
        let options = SnapshotWriter.Options(style: .legacy, storageType: "HalfStorage", strided: true)
        let legacy = SnapshotWriter.snapshot(Self.tinyWeights(), options: options)
        let older = try assertLoadsOrFileError(Self.cuts(of: legacy, count: 50, seed: 6) + Self.flips(of: legacy, count: 100, seed: 7),
                                               name: "older.pkl") { try StyleGANPickle.loadGenerator(path: $0) }
        XCTAssertEqual(older.loaded + older.refused, 150)
        XCTAssertGreaterThanOrEqual(older.refused, 50)
    }

    func testFlippedPicklesLoadOrAreRefused() throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.pkl)))
        let (loaded, refused) = try assertLoadsOrFileError(Self.flips(of: bytes, count: 300, seed: 2), name: "flip.pkl") {
            try StyleGANPickle.loadGenerator(path: $0)
        }
        XCTAssertEqual(loaded + refused, 300)
        XCTAssertGreaterThan(loaded, 0)   // most of the file is tensor data and ignored source text
        XCTAssertGreaterThan(refused, 0)
    }

    func testCutAndFlippedSafeTensorsLoadOrAreRefused() throws {
        let path = folder.appendingPathComponent("m.safetensors").path
        try SafeTensorsFile.write(try StyleGANPickle.loadGenerator(path: Self.pkl), to: path, dtype: .float16)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let cut = try assertLoadsOrFileError(Self.cuts(of: bytes, count: 50, seed: 3), name: "cut.safetensors") {
            try SafeTensorsFile.load(path: $0)
        }
        XCTAssertEqual(cut.refused, 50)
        // Flips concentrated on the header as well as spread over the file.
        var variants = Self.flips(of: bytes, count: 200, seed: 4)
        let n = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        var rng = SeededRandom(seed: 5)
        for _ in 0..<100 {
            var b = bytes
            b[Int(rng.next() % UInt64(8 + n))] ^= UInt8(1 + rng.next() % 255)
            variants.append(b)
        }
        let flipped = try assertLoadsOrFileError(variants, name: "flip.safetensors") { try SafeTensorsFile.load(path: $0) }
        XCTAssertGreaterThan(flipped.loaded, 0)
        XCTAssertGreaterThan(flipped.refused, 0)
    }

    // MARK: Hand-made snapshots

    func testHandMadeSnapshotInTheFixturesStyle() throws {
        let weights = Self.tinyWeights()
        let path = try write(SnapshotWriter.snapshot(weights), "modern.pkl")
        let back = try StyleGANPickle.loadGenerator(path: path)
        XCTAssertEqual(back.architecture, weights.architecture)
        assertSameTensors(weights, back)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/tmp/latentvj-pickle-executed"))
    }

    /// The older protocol-3 form (GLOBAL, BINPUT/LONG_BINPUT/PUT/GET, DICT/LIST/APPEND/SETITEM, TUPLE,
    /// SHORT_BINSTRING, LONG1, NEWOBJ of EasyDict, builtins.set, EMPTY_SET/ADDITEMS, FROZENSET,
    /// numpy.core scalars), float16 storages, transposed views with offsets, extra buffers, no conv_clamp.
    func testHandMadeSnapshotWithOlderOpcodesHalfStoragesAndStridedViews() throws {
        let weights = Self.tinyWeights(convClamp: nil)
        var options = SnapshotWriter.Options(style: .legacy, storageType: "HalfStorage", strided: true)
        options.extraTensors = ["synthesis.b8.conv1.resample_filter": Tensor(shape: [4, 4], repeating: 1), "mapping.fc0.extra": Tensor(shape: [2])]
        let path = try write(SnapshotWriter.snapshot(weights, options: options), "legacy.pkl")
        let loaded = try GeneratorCheckpoint.load(path: path)
        XCTAssertEqual(loaded.storedDType, "float16")
        XCTAssertEqual(loaded.weights.architecture, weights.architecture)
        XCTAssertNil(loaded.weights.architecture.convClamp)
        assertSameTensors(weights, loaded.weights)
    }

    func testRefusesAMissingTensorAndUnsupportedStorages() throws {
        var options = SnapshotWriter.Options()
        options.omit = ["synthesis.b8.conv0.noise_const"]
        try assertPickleRefused(SnapshotWriter.snapshot(Self.tinyWeights(), options: options), ["'synthesis.b8.conv0.noise_const'"])

        options = SnapshotWriter.Options(storageType: "DoubleStorage")
        try assertPickleRefused(SnapshotWriter.snapshot(Self.tinyWeights(), options: options), ["torch.DoubleStorage", "FloatStorage"])
        options = SnapshotWriter.Options(storageType: "cuda.BFloat16Storage")
        try assertPickleRefused(SnapshotWriter.snapshot(Self.tinyWeights(), options: options), ["torch.cuda.BFloat16Storage", "HalfStorage"])
        options = SnapshotWriter.Options(storageType: "cuda.HalfStorage")
        let path = try write(SnapshotWriter.snapshot(Self.tinyWeights(), options: options), "cuda.pkl")
        assertSameTensors(Self.tinyWeights(), try StyleGANPickle.loadGenerator(path: path))

        options = SnapshotWriter.Options()
        options.classNames = ["": "Discriminator"]
        try assertPickleRefused(SnapshotWriter.snapshot(Self.tinyWeights(), options: options), ["'Discriminator'", "not a stylegan2-ada-pytorch Generator"])
    }

    // MARK: What is refused, and how

    func testRefusesOtherPythonObjects() throws {
        try assertPickleRefused(PickleWriter.pickle(.reduce(.global("os", "system"), [.str("echo hi")]), style: .legacy),
                                ["unsupported Python object 'os.system'"])
        try assertPickleRefused(PickleWriter.pickle(.dict([("G_ema", .reduce(.global("builtins", "eval"), [.str("1")]))])),
                                ["unsupported Python object 'builtins.eval'"])
    }

    func testRefusesStyleGAN3() throws {
        var options = SnapshotWriter.Options()
        options.classNames = ["synthesis.input": "SynthesisInput"]
        try assertPickleRefused(SnapshotWriter.snapshot(Self.tinyWeights(), options: options), ["is a StyleGAN3 checkpoint", "only StyleGAN2"])
        options.classNames = ["synthesis.b4": "SynthesisInput"]
        try assertPickleRefused(SnapshotWriter.snapshot(Self.tinyWeights(), options: options), ["is a StyleGAN3 checkpoint"])
    }

    func testRefusesTensorFlowPickles() throws {
        let network = Py.reduce(.global("dnnlib.tflib.network", "Network"), [])
        try assertPickleRefused(PickleWriter.pickle(.tuple([network, network, network]), style: .legacy),
                                ["is a TensorFlow StyleGAN pickle", "legacy.py"])
    }

    func testRefusesPyTorchZipFiles() throws {
        let zip = [0x50, 0x4B, 0x03, 0x04] + Array("\u{14}\0\0\0\0\0archive/data.pkl".utf8) + [UInt8](repeating: 0, count: 64)
        try assertPickleRefused(zip, ["is a PyTorch zip checkpoint", "rosinality", "not a stylegan2-ada-pytorch pickle"])
        let path = try write(zip, "rosinality.pt")
        assertRefused(path, ["PyTorch zip"]) { try GeneratorCheckpoint.load(path: $0) }
    }

    func testRefusesFilesThatAreNotPickles() throws {
        try assertPickleRefused(Array("Hello, this is a README.\nNothing to see.\n".utf8), ["not a StyleGAN2 model", "text file", "Hello"])
        try assertPickleRefused(Array("<!DOCTYPE html><html><body>404</body></html>".utf8), ["HTML page"])
        try assertPickleRefused([], ["is empty"])
        try assertPickleRefused([0x00, 0x01, 0x02, 0xFF, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60], ["neither a Python pickle nor a safetensors file", "00 01 02 ff"])
        let missing = folder.appendingPathComponent("nope.pkl").path
        assertRefused(missing, ["does not exist"]) { try StyleGANPickle.loadGenerator(path: $0) }
        assertRefused(folder.path, ["directory"]) { try StyleGANPickle.loadGenerator(path: $0) }
        // A legacy torch.save file (e.g. a state_dict) has its own magic number.
        try assertPickleRefused(SnapshotWriter.torchStream([1, 2, 3]), ["legacy torch.save file"])
    }

    func testRefusesPicklesWithoutGEma() throws {
        try assertPickleRefused(PickleWriter.pickle(.dict([("G", .none), ("D", .none)])), ["without a 'G_ema'", "'G', 'D'"])
        try assertPickleRefused(PickleWriter.pickle(.list([.int(1)])), ["a list", "not a stylegan2-ada-pytorch network snapshot"])
        try assertPickleRefused(PickleWriter.pickle(.dict([("G_ema", .int(3))])), ["G_ema", "an int", "not a stylegan2-ada-pytorch persistent network object"])
    }

    func testRefusesUnknownOpcodes() throws {
        try assertPickleRefused([0x80, 0x04, 0x4E, 0xFF, 0x2E], ["unknown pickle opcode 0xff at byte 3"])
        try assertPickleRefused([0x80, 0x04, 0x4E, 0xF0], ["unknown pickle opcode 0xf0 at byte 3"])
        try assertPickleRefused([0x80, 0x02] + Array("(iposix\nsystem\n.".utf8), ["pickle opcode INST (0x69) at byte 3"])
        try assertPickleRefused([0x80, 0x02] + Array("Vhello\n.".utf8), ["pickle opcode UNICODE"])
    }

    func testRefusesMalformedPickles() throws {
        let cases: [([UInt8], String)] = [
            ([0x80, 0x04, 0x85, 0x2E], "stack is empty"),                                  // TUPLE1 of nothing
            ([0x80, 0x04, 0x4E, 0x74, 0x2E], "no MARK before it"),                          // TUPLE without MARK
            ([0x80, 0x04, 0x68, 0x05, 0x2E], "memo entry 5 was never stored"),              // BINGET 5
            ([0x80, 0x04, 0x6A, 0xFF, 0xFF, 0xFF, 0x7F, 0x2E], "memo entry 2147483647"),    // LONG_BINGET
            ([0x80, 0x04, 0x58, 0xF0, 0xFF, 0xFF, 0xFF, 0x61], "declares 4294967280 bytes"), // absurd BINUNICODE
            ([0x80, 0x04, 0x8E] + [UInt8](repeating: 0xFF, count: 8) + [0x2E], "declares 18446744073709551615 bytes"),
            ([0x80, 0x04, 0x95, 0x00, 0x10, 0, 0, 0, 0, 0, 0, 0x4E, 0x2E], "truncated"),   // FRAME past the end
            ([0x80, 0x04, 0x4B], "truncated"),                                              // BININT1 without its byte
            ([0x80, 0x04, 0x4E], "without its STOP"),
            ([0x80, 0x04, 0x2E], "stack is empty"),                                         // STOP with nothing
            ([0x80, 0x07, 0x4E, 0x2E], "protocol 7"),
            ([0x80, 0x04, 0x5D, 0x94, 0x68, 0x00, 0x61, 0x2E], "more than 200 levels"),      // a list that contains itself
            ([0x80, 0x04, 0x7D, 0x28, 0x4E, 0x75, 0x2E], "odd number of items"),            // SETITEMS with one item
            ([0x80, 0x04, 0x5D, 0x4E, 0x62, 0x2E], "BUILD on a list"),
            ([0x80, 0x04, 0x4E, 0x29, 0x52, 0x2E], "only named Python objects can be called"),  // REDUCE of None
            ([0x80, 0x04, 0x8C, 0x02, 0xC3, 0x28, 0x2E], "not valid UTF-8"),
            ([0x80, 0x04, 0x4E, 0x4E, 0x93, 0x2E], "STACK_GLOBAL needs two strings"),
        ]
        for (bytes, fragment) in cases {
            try assertPickleRefused(bytes, [fragment])
        }
        // Many MARKs and deep nesting are bounded, not recursed into.
        try assertPickleRefused([0x80, 0x04] + [UInt8](repeating: 0x28, count: 100_000) + [0x2E], ["too many nested MARKs"])
        try assertPickleRefused([0x80, 0x04] + [UInt8](repeating: 0x5D, count: 1) + [UInt8](repeating: 0x85, count: 5000) + [0x2E],
                                ["more than 200 levels"])
        // Shared subtrees cannot multiply: [x, x] nested 40 times would be 2^40 values.
        var doubling: [UInt8] = [0x80, 0x04, 0x4E]
        for _ in 0..<40 { doubling += [0x32, 0x86] }  // DUP, TUPLE2
        try assertPickleRefused(doubling + [0x2E], ["pickle objects; refusing to read it"])
    }

    func testNumpyScalarsInInitArguments() throws {
        // The older writer stores lr_multiplier as a numpy.core.multiarray.scalar of dtype f8.
        var weights = Self.tinyWeights()
        weights.architecture.mappingLrMultiplier = 0.5
        let path = try write(SnapshotWriter.snapshot(weights, options: .init(style: .legacy)), "older.pkl")
        XCTAssertEqual(try StyleGANPickle.loadGenerator(path: path).architecture.mappingLrMultiplier, 0.5)
    }
}
