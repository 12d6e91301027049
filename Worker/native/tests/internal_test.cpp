// Tests of internals the C ABI cannot reach: the ChaCha20 stream against RFC 8439, the Poisson and Gaussian
// samplers, and the per-example gradients of each model kind against the one-backward-per-example reference.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "chacha20.h"
#include "dp_random.h"
#include "model.h"
#include "model_factory.h"
#include "per_example.h"

namespace {

int g_failures = 0;
int g_checks = 0;

#define EXPECT(condition)                                                                     \
    do {                                                                                      \
        ++g_checks;                                                                           \
        if (!(condition)) {                                                                   \
            std::fprintf(stderr, "%s:%d: EXPECT(%s) failed\n", __FILE__, __LINE__, #condition); \
            ++g_failures;                                                                     \
        }                                                                                     \
    } while (0)

using fedtrain::ChaCha20Stream;

ChaCha20Stream rfc_stream() {
    ChaCha20Stream::Key key;
    for (uint32_t i = 0; i < 8; ++i) {
        uint32_t b = 4 * i;
        key[i] = b | (b + 1) << 8 | (b + 2) << 16 | (b + 3) << 24;  // key bytes 00 01 02 ... 1f
    }
    return ChaCha20Stream(key, 0x4a000000);
}

void test_chacha20_rfc8439_block() {
    // RFC 8439 section 2.3.2: key 00..1f, block count 1, nonce 00:00:00:09:00:00:00:4a:00:00:00:00. Its 32-bit
    // count and first nonce word are our 64-bit counter; its last two nonce words are our nonce.
    const uint32_t expected[16] = {0xe4e7f110, 0x15593bd1, 0x1fdd0f50, 0xc47120a3, 0xc7f4d1c7, 0x0368c033,
                                   0x9aaa2204, 0x4e6cd4c3, 0x466482d2, 0x09aa9f07, 0x05d7c214, 0xa2028bd9,
                                   0xd19c12b5, 0xb94e16de, 0xe883d0cb, 0x4e3c50a2};
    uint32_t out[16];
    rfc_stream().block(0x0900000000000001ull, out);
    EXPECT(std::memcmp(out, expected, sizeof(out)) == 0);
}

void test_chacha20_stream_is_blocks_in_order_whatever_the_threads() {
    ChaCha20Stream reference = rfc_stream();
    std::vector<uint64_t> expected;
    for (uint64_t b = 0; b < 32; ++b) {
        uint32_t words[16];
        reference.block(b, words);
        for (int w = 0; w < 8; ++w) expected.push_back(uint64_t{words[2 * w]} | uint64_t{words[2 * w + 1]} << 32);
    }
    for (int threads : {1, 2}) {
        at::set_num_threads(threads);
        ChaCha20Stream stream = rfc_stream();
        std::vector<uint64_t> first(100), second(64);
        stream.next_words(first.data(), 100);   // two groups of 8 blocks: blocks 0..15, 100 of their 128 words
        stream.next_words(second.data(), 64);   // starts at block 16, never reusing the unread words
        EXPECT(std::memcmp(first.data(), expected.data(), 100 * sizeof(uint64_t)) == 0);
        EXPECT(std::memcmp(second.data(), expected.data() + 128, 64 * sizeof(uint64_t)) == 0);
    }
}

void test_stream_keys() {
    std::vector<uint64_t> a(8), b(8), c(8), d(8);
    ChaCha20Stream::from_insecure_seed(5).next_words(a.data(), 8);
    ChaCha20Stream::from_insecure_seed(5).next_words(b.data(), 8);
    ChaCha20Stream::from_insecure_seed(6).next_words(c.data(), 8);
    ChaCha20Stream::from_os().next_words(d.data(), 8);
    EXPECT(a == b);
    EXPECT(a != c);
    std::vector<uint64_t> e(8);
    ChaCha20Stream::from_os().next_words(e.data(), 8);
    EXPECT(d != e);  // two OS keys colliding has probability 2^-256
}

void test_standard_normals() {
    ChaCha20Stream stream = ChaCha20Stream::from_insecure_seed(11);
    const int64_t count = 400001;  // odd: the last pair is cut
    at::Tensor z = fedtrain::standard_normals(stream, count);
    EXPECT(z.numel() == count && z.scalar_type() == at::kDouble);
    EXPECT(at::isfinite(z).all().item<bool>());
    double mean = z.mean().item<double>();
    double variance = z.var().item<double>();
    double beyond2 = (z.abs() > 2.0).to(at::kDouble).mean().item<double>();
    double fourth = z.pow(4).mean().item<double>();
    EXPECT(std::fabs(mean) < 5.0 / std::sqrt(static_cast<double>(count)));
    EXPECT(std::fabs(variance - 1.0) < 0.01);                 // sd of the estimate ~ 0.0022
    EXPECT(std::fabs(beyond2 - 0.0455003) < 0.0025);          // P(|Z| > 2); sd ~ 0.0003
    EXPECT(std::fabs(fourth - 3.0) < 0.06);                   // kurtosis of a normal
    EXPECT(z.abs().max().item<double>() < 12.8);  // sqrt(2 * 118 ln 2) = 12.79
}

void test_uniform_from_128_bits() {
    using fedtrain::uniform_from_128_bits;
    EXPECT(uniform_from_128_bits(~0ull, ~0ull) == 1.0 - 0x1p-54);
    EXPECT(uniform_from_128_bits(1ull << 63, 0) == 0.5 + 0x1p-54);
    EXPECT(uniform_from_128_bits(1ull << 53, 0) == 0x1p-11 + 0x1p-54);
    // Below 2^-11 the low word extends the precision instead of leaving a few coarse steps near zero.
    EXPECT(uniform_from_128_bits((1ull << 53) - 1, ~0ull) <= 0x1p-11);
    EXPECT(uniform_from_128_bits(1, 0) == 0x1p-64 + 0x1p-118);
    EXPECT(uniform_from_128_bits(0, 3ull << 11) == 3.5 * 0x1p-117);
    EXPECT(uniform_from_128_bits(0, 0) == 0x1p-118);  // never 0, so the log is finite
}

void test_noise_granularity() {
    for (double s : {1e-6, 0.37, 1.0, 1.5, 4.0, 1234.5}) {
        double g = fedtrain::noise_granularity(s);
        int exponent = 0;
        EXPECT(std::frexp(g, &exponent) == 0.5);  // a power of two
        EXPECT(g > s / 8192 && g <= s / 4096);
    }
    EXPECT(fedtrain::noise_granularity(0.0) == 0.0);
}

void test_add_rounded_gaussian() {
    ChaCha20Stream stream = ChaCha20Stream::from_insecure_seed(3);
    const double stddev = 0.8, denominator = 4.0;
    const double grid = fedtrain::noise_granularity(stddev);
    at::Tensor sum = at::full({100000}, 0.3f);
    fedtrain::add_rounded_gaussian(sum, stddev, grid, denominator, stream);
    at::Tensor cells = sum.to(at::kDouble) * denominator / grid;
    EXPECT((cells - cells.round()).abs().max().item<double>() == 0.0);  // every value on the grid
    double mean = sum.to(at::kDouble).mean().item<double>() * denominator;
    double sd = sum.to(at::kDouble).std().item<double>() * denominator;
    EXPECT(std::fabs(mean - 0.3) < 0.01);
    EXPECT(std::fabs(sd / stddev - 1.0) < 0.01);

    at::Tensor plain = at::full({10}, 2.0f);
    fedtrain::add_rounded_gaussian(plain, 0.0, 0.0, 4.0, stream);  // no noise: only the division
    EXPECT(at::equal(plain, at::full({10}, 0.5f)));
}

void test_poisson_sample() {
    ChaCha20Stream stream = ChaCha20Stream::from_insecure_seed(9);
    std::vector<uint64_t> words;
    std::vector<int64_t> sampled;
    const int64_t n = 1000, batch = 50, draws = 400;
    std::vector<int> hits(n);
    int64_t total = 0;
    for (int d = 0; d < draws; ++d) {
        fedtrain::poisson_sample(stream, n, batch, words, sampled);
        total += static_cast<int64_t>(sampled.size());
        for (size_t i = 0; i < sampled.size(); ++i) {
            EXPECT(sampled[i] >= 0 && sampled[i] < n && (i == 0 || sampled[i] > sampled[i - 1]));
            ++hits[static_cast<size_t>(sampled[i])];
        }
    }
    double mean = static_cast<double>(total) / draws;
    EXPECT(std::fabs(mean - 50.0) < 1.5);  // sd of the mean: sqrt(50 * 0.95 / 400) = 0.34
    int early = 0, late = 0;
    for (int64_t i = 0; i < n / 2; ++i) early += hits[static_cast<size_t>(i)];
    for (int64_t i = n / 2; i < n; ++i) late += hits[static_cast<size_t>(i)];
    EXPECT(std::abs(early - late) < 600);  // each half expects 10,000 hits, sd ~ 138 each

    fedtrain::poisson_sample(stream, 7, 7, words, sampled);
    EXPECT(sampled == (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6}));
}

std::vector<at::Tensor> take_grads(fedtrain::Model& model) {
    std::vector<at::Tensor> grads;
    for (const fedtrain::NamedTensor& p : model.parameters()) {
        grads.push_back(p.tensor.grad().clone());
        p.tensor.mutable_grad().zero_();
    }
    return grads;
}

void zero_grads(fedtrain::Model& model) {
    for (const fedtrain::NamedTensor& p : model.parameters()) {
        p.tensor.mutable_grad() = at::zeros_like(p.tensor);
    }
}

// The fast per-layer formulas must agree with one backward pass per example, clipped or not.
void check_per_example(const std::string& spec, int64_t batch) {
    std::unique_ptr<fedtrain::Model> model = fedtrain::create_model(spec, 17);
    model->set_training(true);
    std::vector<int64_t> shape{batch};
    shape.insert(shape.end(), model->input_shape().begin(), model->input_shape().end());
    at::Generator generator = at::detail::createCPUGenerator(23);
    at::Tensor x = at::rand(shape, generator);
    at::Tensor y = at::randint(model->classes(), {batch}, generator);
    zero_grads(*model);

    // An unclipped pass measures the norms; the clipped pass then clips roughly half of the examples.
    fedtrain::ClippedGradients probe = fedtrain::add_clipped_gradients_by_example(*model, x, y, 1e30);
    std::vector<at::Tensor> unclipped_reference = take_grads(*model);
    double clip = probe.norms.median().item<double>();
    for (double c : {1e30, clip}) {
        fedtrain::ClippedGradients fast = model->add_clipped_gradients(x, y, c);
        std::vector<at::Tensor> fast_grads = take_grads(*model);
        fedtrain::ClippedGradients reference = fedtrain::add_clipped_gradients_by_example(*model, x, y, c);
        std::vector<at::Tensor> reference_grads = take_grads(*model);
        EXPECT(at::allclose(fast.norms, reference.norms, 1e-4, 1e-7));
        EXPECT(at::allclose(fast.losses, reference.losses, 1e-5, 1e-6));
        EXPECT(at::allclose(fast.logits, reference.logits, 1e-5, 1e-5));
        for (size_t p = 0; p < fast_grads.size(); ++p) {
            double scale = reference_grads[p].abs().max().item<double>();
            double error = (fast_grads[p] - reference_grads[p]).abs().max().item<double>();
            if (!(error <= 1e-5 * scale + 1e-7)) {
                std::fprintf(stderr, "%s batch %ld clip %g param %zu: error %g scale %g\n", spec.c_str(),
                             static_cast<long>(batch), c, p, error, scale);
                EXPECT(false);
            }
        }
        if (c == 1e30) {
            for (size_t p = 0; p < fast_grads.size(); ++p) {
                EXPECT(at::allclose(fast_grads[p], unclipped_reference[p], 1e-4, 1e-6));
            }
        }
    }

    // Each example's clipped contribution stays within the bound.
    for (int64_t i = 0; i < std::min<int64_t>(batch, 3); ++i) {
        model->add_clipped_gradients(x.narrow(0, i, 1), y.narrow(0, i, 1), clip / 10);
        double squared = 0;
        for (const at::Tensor& g : take_grads(*model)) squared += g.to(at::kDouble).square().sum().item<double>();
        EXPECT(std::sqrt(squared) <= clip / 10 * (1 + 1e-5));
    }
}

void test_per_example_gradients() {
    check_per_example("kind=cnn;in=1,28,28;classes=10;conv=4,8;hidden=16", 6);
    check_per_example("kind=cnn;in=3,12,10;classes=5;conv=3", 5);
    check_per_example("kind=cnn;in=2,16,16;classes=3;conv=2,3,4;hidden=1", 4);
    check_per_example("kind=cnn;in=1,28,28;classes=10;conv=4,8;hidden=16", 1);
}

}  // namespace

int main() {
    at::set_num_threads(2);
    test_chacha20_rfc8439_block();
    test_chacha20_stream_is_blocks_in_order_whatever_the_threads();
    test_stream_keys();
    test_standard_normals();
    test_uniform_from_128_bits();
    test_noise_granularity();
    test_add_rounded_gaussian();
    test_poisson_sample();
    test_per_example_gradients();
    if (g_failures != 0) {
        std::fprintf(stderr, "%d check(s) failed\n", g_failures);
        return 1;
    }
    std::printf("all %d checks passed\n", g_checks);
    return 0;
}
