import Testing

@testable import Routing

/// `Routing.SplitMix64` by its full name: PrefixTableTests declares a test-only
/// `SplitMix64` of its own that would otherwise shadow it.
@Suite struct SplitMix64Tests {
  /// The reference algorithm's first outputs (Steele, Lea and Flood's splitmix64).
  static let reference: [(seed: UInt64, outputs: [UInt64])] = [
    (0, [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F]),
    (1, [0x910A_2DEC_8902_5CC1, 0xBEEB_8DA1_658E_EC67, 0xF893_A2EE_FB32_555E]),
    (2026, [0xDB9C_5598_9194_8D23, 0x78BC_927D_ED35_455D, 0xAAD7_1E75_CDE2_B88E]),
  ]

  @Test(arguments: reference)
  func referenceOutputs(seed: UInt64, outputs: [UInt64]) {
    var generator = Routing.SplitMix64(seed: seed)
    #expect((0..<outputs.count).map { _ in generator.next() } == outputs)
  }

  @Test func sameSeedSameSequence() {
    var first = Routing.SplitMix64(seed: 12_345)
    var second = Routing.SplitMix64(seed: 12_345)
    var other = Routing.SplitMix64(seed: 12_346)
    let a = (0..<1000).map { _ in first.next() }
    #expect(a == (0..<1000).map { _ in second.next() })
    #expect(a != (0..<1000).map { _ in other.next() })
    #expect(Set(a).count == 1000)
  }
}
