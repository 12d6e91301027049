#include "chacha20.h"

#include <ATen/Parallel.h>

#if defined(__linux__)
#include <sys/random.h>
#else
#include <unistd.h>  // getentropy (macOS, the BSDs)
#endif

#include <cerrno>
#include <cstring>

#include "error.h"

namespace fedtrain {
namespace {

constexpr uint32_t kSigma[4] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};  // "expand 32-byte k"

// Eight blocks at once in GCC/Clang vector lanes: SSE2 (the x86-64 baseline) or NEON run them four wide.
constexpr int kLanes = 8;
typedef uint32_t Lanes __attribute__((vector_size(kLanes * sizeof(uint32_t))));

// By reference throughout: passing 32-byte vectors by value would depend on whether AVX is enabled.
template <int bits>
inline void rotate_left(Lanes& x) { x = (x << bits) | (x >> (32 - bits)); }

inline void quarter_round(Lanes& a, Lanes& b, Lanes& c, Lanes& d) {
    a += b; d ^= a; rotate_left<16>(d);
    c += d; b ^= c; rotate_left<12>(b);
    a += b; d ^= a; rotate_left<8>(d);
    c += d; b ^= c; rotate_left<7>(b);
}

// Compiled twice on x86-64 and picked at load time: AVX2 runs the eight lanes in one register.
#if defined(__x86_64__) && defined(__GNUC__) && defined(__linux__)
#define FEDTRAIN_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define FEDTRAIN_CLONES
#endif

// Blocks first_counter .. first_counter + 7 as 8 x 64-bit words each, block after block.
FEDTRAIN_CLONES void eight_blocks(const ChaCha20Stream::Key& key, uint64_t nonce, uint64_t first_counter,
                                  uint64_t* out) {
    Lanes input[16];
    for (int i = 0; i < 4; ++i) input[i] = Lanes{} + kSigma[i];
    for (int i = 0; i < 8; ++i) input[4 + i] = Lanes{} + key[i];
    for (int lane = 0; lane < kLanes; ++lane) {
        uint64_t counter = first_counter + static_cast<uint64_t>(lane);
        input[12][lane] = static_cast<uint32_t>(counter);
        input[13][lane] = static_cast<uint32_t>(counter >> 32);
    }
    input[14] = Lanes{} + static_cast<uint32_t>(nonce);
    input[15] = Lanes{} + static_cast<uint32_t>(nonce >> 32);

    Lanes x[16];
    std::memcpy(x, input, sizeof(x));
    for (int round = 0; round < 10; ++round) {
        quarter_round(x[0], x[4], x[8], x[12]);
        quarter_round(x[1], x[5], x[9], x[13]);
        quarter_round(x[2], x[6], x[10], x[14]);
        quarter_round(x[3], x[7], x[11], x[15]);
        quarter_round(x[0], x[5], x[10], x[15]);
        quarter_round(x[1], x[6], x[11], x[12]);
        quarter_round(x[2], x[7], x[8], x[13]);
        quarter_round(x[3], x[4], x[9], x[14]);
    }
    for (int i = 0; i < 16; ++i) x[i] += input[i];
    for (int lane = 0; lane < kLanes; ++lane) {
        for (int w = 0; w < 8; ++w) {
            out[lane * 8 + w] = uint64_t{x[2 * w][lane]} | (uint64_t{x[2 * w + 1][lane]} << 32);
        }
    }
}

}  // namespace

ChaCha20Stream ChaCha20Stream::from_os() {
    Key key;
    auto* bytes = reinterpret_cast<unsigned char*>(key.data());
    size_t filled = 0;
#if defined(__linux__)
    while (filled < sizeof(key)) {
        // Blocks only until the kernel's pool is first initialised. 32 bytes never come back short in practice;
        // the loop makes that a non-assumption.
        ssize_t got = getrandom(bytes + filled, sizeof(key) - filled, 0);
        if (got < 0) {
            if (errno == EINTR) continue;
            fail(FT_E_INTERNAL, std::string("getrandom failed: ") + std::strerror(errno));
        }
        filled += static_cast<size_t>(got);
    }
#else
    if (getentropy(bytes, sizeof(key)) != 0) {
        fail(FT_E_INTERNAL, std::string("getentropy failed: ") + std::strerror(errno));
    }
    filled = sizeof(key);
#endif
    return ChaCha20Stream(key, 0);
}

ChaCha20Stream ChaCha20Stream::from_insecure_seed(uint64_t seed) {
    // "insecure test seed" in the remaining words keeps these keys apart from anything else derived from a seed.
    Key key{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32), 0x65736e69, 0x72756365,
            0x73657420, 0x65732074, 0x00006465, 0x00000001};
    return ChaCha20Stream(key, 0);
}

void ChaCha20Stream::block(uint64_t counter, uint32_t out[16]) const {
    uint64_t words[8 * kLanes];
    eight_blocks(key_, nonce_, counter, words);
    for (int w = 0; w < 8; ++w) {
        out[2 * w] = static_cast<uint32_t>(words[w]);
        out[2 * w + 1] = static_cast<uint32_t>(words[w] >> 32);
    }
}

void ChaCha20Stream::next_words(uint64_t* out, int64_t count) {
    constexpr int64_t kGroupWords = 8 * kLanes;  // one eight_blocks call
    const int64_t groups = (count + kGroupWords - 1) / kGroupWords;
    const uint64_t first = next_block_;
    // Each group's blocks are fixed by its index, so any split across threads yields the same words.
    at::parallel_for(0, groups, 16, [&](int64_t begin, int64_t end) {
        uint64_t tail[kGroupWords];
        for (int64_t g = begin; g < end; ++g) {
            int64_t offset = g * kGroupWords;
            uint64_t counter = first + static_cast<uint64_t>(g) * kLanes;
            if (offset + kGroupWords <= count) {
                eight_blocks(key_, nonce_, counter, out + offset);
            } else {
                eight_blocks(key_, nonce_, counter, tail);
                std::memcpy(out + offset, tail, static_cast<size_t>(count - offset) * sizeof(uint64_t));
            }
        }
    });
    // Whole groups are consumed, so no block ever serves two draws.
    next_block_ = first + static_cast<uint64_t>(groups) * kLanes;
}

}  // namespace fedtrain
