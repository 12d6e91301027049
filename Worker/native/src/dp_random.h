// The two random draws of DP-SGD, both from a ChaCha20Stream: Poisson batch selection and Gaussian noise.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "chacha20.h"

namespace fedtrain {

// Replaces `out` with the indices in [0, n) drawn independently with probability q = batch / n: example i is
// taken when its 64-bit word is below floor(q * 2^64), so the realised rate is q to within 2^-64 (and never above
// it). batch == n takes every example. `words` is scratch reused between calls.
void poisson_sample(ChaCha20Stream& stream, int64_t n, int64_t batch, std::vector<uint64_t>& words,
                    std::vector<int64_t>& out);

// A uniform in (0, 1] from 128 random bits hi:lo, with full double precision down to 2^-64 and steps of 2^-117
// below: (hi / 2^11 + 1/2) * 2^-53 when hi >= 2^53 (all but 1 in 2048 draws), else (hi * 2^53 + lo / 2^11 + 1/2)
// * 2^-117. So log(u) stays accurate far into the tail: -2 ln u reaches 2 * 118 ln 2, |z| up to 12.8.
inline double uniform_from_128_bits(uint64_t hi, uint64_t lo) {
    // Conversions from int64 are one instruction; both operands fit in 53 bits, so every product and sum is exact
    // but the last addition, which rounds once.
    if ((hi >> 53) != 0) {
        return (static_cast<double>(static_cast<int64_t>(hi >> 11)) + 0.5) * 0x1p-53;
    }
    return static_cast<double>(static_cast<int64_t>(hi)) * 0x1p-64 +
           (static_cast<double>(static_cast<int64_t>(lo >> 11)) + 0.5) * 0x1p-117;
}

// Standard normals (float64, CPU) by Box-Muller: r = sqrt(-2 ln u1) with u1 from 128 random bits, and angle
// 2 pi u2 with u2 a 53-bit uniform in [0, 1). |z| cannot exceed sqrt(2 * 118 ln 2) = 12.8.
at::Tensor standard_normals(ChaCha20Stream& stream, int64_t count);

// The grid noised sums are rounded to: the power of two in (stddev / 8192, stddev / 4096]; 0 for stddev 0.
double noise_granularity(double stddev);

// In place, element-wise, in float64: sum <- round((sum + stddev * Z) / granularity) * granularity / denominator,
// Z standard normal (granularity 0 skips the rounding). `sum` is a contiguous float32 tensor on any device.
void add_rounded_gaussian(at::Tensor& sum, double stddev, double granularity, double denominator,
                          ChaCha20Stream& stream);

}  // namespace fedtrain
