#include "dp_random.h"

#include <ATen/Functions.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <vector>

#include "error.h"

namespace fedtrain {
namespace {

// Round to the nearest integer, ties to even (the default rounding mode), without nearbyint's library call:
// adding 1.5 * 2^52 leaves no fraction bits, so the hardware rounds and the subtraction is exact.
inline double round_half_even(double x) {
    constexpr double kShift = 0x1.8p52;
    return std::fabs(x) < 0x1p51 ? (x + kShift) - kShift : std::nearbyint(x);
}

}  // namespace

void poisson_sample(ChaCha20Stream& stream, int64_t n, int64_t batch, std::vector<uint64_t>& words,
                    std::vector<int64_t>& out) {
    out.clear();
    words.resize(static_cast<size_t>(n));
    stream.next_words(words.data(), n);
    if (batch >= n) {
        for (int64_t i = 0; i < n; ++i) out.push_back(i);
        return;
    }
    // batch < n, so the threshold fits in 64 bits.
    auto threshold = static_cast<uint64_t>((static_cast<unsigned __int128>(batch) << 64) / static_cast<uint64_t>(n));
    for (int64_t i = 0; i < n; ++i) {
        if (words[static_cast<size_t>(i)] < threshold) out.push_back(i);
    }
}

at::Tensor standard_normals(ChaCha20Stream& stream, int64_t count) {
    const int64_t pairs = (count + 1) / 2;
    // Three stream words per pair, converted in place: rows 0 and 1 give u1 (into row 0), row 2 gives u2.
    at::Tensor uniform = at::empty({3, pairs}, at::kDouble);
    double* u = uniform.data_ptr<double>();
    auto* bits = reinterpret_cast<uint64_t*>(u);
    stream.next_words(bits, 3 * pairs);
    at::parallel_for(0, pairs, 8192, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
            u[i] = uniform_from_128_bits(bits[i], bits[pairs + i]);                      // (0, 1]
            // [0, 1); the shifted word fits in 53 bits, so the signed conversion (one instruction) is exact.
            u[2 * pairs + i] = static_cast<double>(static_cast<int64_t>(bits[2 * pairs + i] >> 11)) * 0x1p-53;
        }
    });
    // ATen's vectorised log/sqrt/cos/sin (float64) over the whole draw; pair (u1, u2) gives r cos t and r sin t.
    at::Tensor radius = uniform.select(0, 0).log_().mul_(-2.0).sqrt_();
    at::Tensor angle = uniform.select(0, 2).mul_(2.0 * M_PI);
    at::Tensor normals = at::empty({2, pairs}, at::kDouble);
    at::Tensor cosines = normals.select(0, 0);
    at::Tensor sines = normals.select(0, 1);
    at::cos_out(cosines, angle).mul_(radius);
    at::sin_out(sines, angle).mul_(radius);
    return normals.view({-1}).narrow(0, 0, count);
}

double noise_granularity(double stddev) {
    if (!(stddev > 0)) return 0.0;
    return std::ldexp(1.0, std::ilogb(stddev) - 12);
}

void add_rounded_gaussian(at::Tensor& sum, double stddev, double granularity, double denominator,
                          ChaCha20Stream& stream) {
    if (sum.scalar_type() != at::kFloat || !sum.is_contiguous()) {
        fail(FT_E_INTERNAL, "add_rounded_gaussian needs a contiguous float32 tensor");
    }
    const int64_t count = sum.numel();
    at::Tensor normals = stddev > 0 ? standard_normals(stream, count) : at::zeros({count}, at::kDouble);
    if (!sum.is_cpu()) {
        at::Tensor noised = sum.to(at::kDouble).view({-1}).add_(normals.to(sum.device()), stddev);
        if (granularity > 0) {
            // Division and multiplication by a power of two are exact: only the rounding changes the value.
            noised.div_(granularity).round_().mul_(granularity);
        }
        sum.view({-1}).copy_(noised.div_(denominator));
        return;
    }
    // One fused pass on CPU.
    float* values = sum.data_ptr<float>();
    const double* z = normals.data_ptr<double>();
    const double cells_per_unit = granularity > 0 ? 1.0 / granularity : 0.0;  // exact: a power of two
    at::parallel_for(0, count, 16384, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
            double v = static_cast<double>(values[i]) + stddev * z[i];
            if (granularity > 0) v = round_half_even(v * cells_per_unit) * granularity;
            values[i] = static_cast<float>(v / denominator);
        }
    });
}

}  // namespace fedtrain
