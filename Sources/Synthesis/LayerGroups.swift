/// The three depth groups of the generator's inputs (thesis 4.1.1): deep layers set coarse structure,
/// shallow ones colour and fine detail. Every synthesizer addresses layers through these groups, so the
/// same patch or envelope network works for any generator size (num_ws 8…18).
public enum LayerGroup: String, CaseIterable, Codable, Sendable {
    case deep, middle, shallow
}

/// Which ws and which noise layers belong to which group, for one generator.
public struct LayerGroups: Equatable, Sendable {
    public let numWs: Int
    /// Per group (deep, middle, shallow): the ws it covers.
    public let ws: [Range<Int>]
    /// Per group: the noise layers it covers (indices into the generator's noise layers).
    public let noiseLayers: [[Int]]
    /// Resolution of every noise layer, in the generator's order.
    public let noiseResolutions: [Int]

    /// Splits `count` ordered items into first third, second third and the rest (the remainder goes
    /// to the shallow group, as the spec says).
    public static func thirds(_ count: Int) -> [Range<Int>] {
        let third = count / 3
        return [0..<third, third..<(2 * third), (2 * third)..<count]
    }

    /// - Parameter noiseResolutions: the resolution of each noise layer, in order (deep first).
    ///   Noise layers are grouped by resolution: the distinct resolutions are split into thirds.
    public init(numWs: Int, noiseResolutions: [Int]) {
        self.numWs = numWs
        self.noiseResolutions = noiseResolutions
        ws = Self.thirds(numWs)
        let distinct = Array(Set(noiseResolutions)).sorted()
        let resolutionGroups = Self.thirds(distinct.count)
        noiseLayers = resolutionGroups.map { range in
            let members = Set(distinct[range])
            return noiseResolutions.indices.filter { members.contains(noiseResolutions[$0]) }
        }
    }

    public func ws(of group: LayerGroup) -> Range<Int> { ws[group.index] }
    public func noiseLayers(of group: LayerGroup) -> [Int] { noiseLayers[group.index] }

    /// The group a w index belongs to.
    public func group(ofW index: Int) -> LayerGroup { LayerGroup.allCases.first { ws[$0.index].contains(index) } ?? .shallow }
}

extension LayerGroup {
    public var index: Int { LayerGroup.allCases.firstIndex(of: self)! }
}

/// The six depth choices of the Randomizer with their draw weights 3/3/3/2/2/1.
public enum DepthChoice: String, CaseIterable, Codable, Sendable {
    case deep, middle, shallow
    case deepMiddle = "deep+middle"
    case middleShallow = "middle+shallow"
    case all

    public var groups: [LayerGroup] {
        switch self {
        case .deep: return [.deep]
        case .middle: return [.middle]
        case .shallow: return [.shallow]
        case .deepMiddle: return [.deep, .middle]
        case .middleShallow: return [.middle, .shallow]
        case .all: return LayerGroup.allCases
        }
    }

    public var drawWeight: Double {
        switch self {
        case .deep, .middle, .shallow: return 3
        case .deepMiddle, .middleShallow: return 2
        case .all: return 1
        }
    }
}
