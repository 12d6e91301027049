// ChaCha20 keystream (the RFC 8439 block function with a 64-bit block counter, as in Bernstein's original) used
// as the random source of DP-SGD: Poisson batch selection and Gaussian noise. Counter mode makes it seekable, so
// blocks are generated in parallel and the output does not depend on the thread count.
#pragma once

#include <array>
#include <cstdint>

namespace fedtrain {

class ChaCha20Stream {
public:
    using Key = std::array<uint32_t, 8>;

    ChaCha20Stream(const Key& key, uint64_t nonce) : key_(key), nonce_(nonce) {}

    // A fresh 256-bit key from getrandom(2), the kernel's cryptographically secure generator.
    static ChaCha20Stream from_os();

    // INSECURE, for tests only: the key is derived from seed, so anyone who knows the seed knows the stream.
    static ChaCha20Stream from_insecure_seed(uint64_t seed);

    // The 16 state words of block `counter` (RFC 8439 section 2.3, words 12-13 the counter, 14-15 the nonce).
    void block(uint64_t counter, uint32_t out[16]) const;

    // The next `count` 64-bit little-endian words of the stream; consumes whole 64-byte blocks.
    void next_words(uint64_t* out, int64_t count);

private:
    Key key_;
    uint64_t nonce_;
    uint64_t next_block_ = 0;
};

}  // namespace fedtrain
