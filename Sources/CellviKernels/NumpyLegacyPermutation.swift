/// `numpy.random.RandomState(seed).permutation(n)`, bit for bit: MT19937 seeded with `init_genrand`,
/// then numpy's legacy Fisher–Yates shuffle with masked rejection sampling. scvi-tools draws its
/// train/validation split this way, so a cellvi run with the same seed validates on the same cells.
public func numpyLegacyPermutation(_ n: Int, seed: UInt32) -> [Int] {
    var generator = MersenneTwister(seed: seed)
    var values = Array(0..<n)
    var i = n - 1
    while i > 0 {
        let j = generator.boundedInteger(upTo: UInt64(i))
        values.swapAt(i, Int(j))
        i -= 1
    }
    return values
}

/// MT19937 as numpy's legacy `RandomState` uses it.
struct MersenneTwister {
    private var state = [UInt32](repeating: 0, count: 624)
    private var index = 624

    init(seed: UInt32) {
        state[0] = seed
        for i in 1..<624 {
            state[i] = 1_812_433_253 &* (state[i - 1] ^ (state[i - 1] >> 30)) &+ UInt32(i)
        }
    }

    mutating func next() -> UInt32 {
        if index >= 624 { twist() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    /// numpy's `random_interval(max)`: uniform on 0...max by masking and rejecting.
    mutating func boundedInteger(upTo max: UInt64) -> UInt64 {
        if max == 0 { return 0 }
        var mask = max
        for shift in [1, 2, 4, 8, 16, 32] as [UInt64] { mask |= mask >> shift }
        if max <= 0xFFFF_FFFF {
            while true {
                let value = UInt64(next()) & mask
                if value <= max { return value }
            }
        }
        while true {
            let value = ((UInt64(next()) << 32) | UInt64(next())) & mask
            if value <= max { return value }
        }
    }

    private mutating func twist() {
        for i in 0..<624 {
            let y = (state[i] & 0x8000_0000) | (state[(i + 1) % 624] & 0x7FFF_FFFF)
            state[i] = state[(i + 397) % 624] ^ (y >> 1) ^ ((y & 1) == 1 ? 0x9908_B0DF : 0)
        }
        index = 0
    }
}
