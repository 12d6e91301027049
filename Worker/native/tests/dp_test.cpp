// DP-SGD through the C header (ft_train_dp): validation, equivalence with full-batch training when noise and
// clipping are off, the clipping bound, the noise scale, Poisson batch sizes, where the randomness comes from,
// cancellation, and learning under moderate noise. Seeded runs use the test-only seed; unseeded ones the
// production stream, with tolerances of five standard deviations or more.
#include "abi_test_support.h"

#include <cmath>
#include <cstdio>
#include <vector>

namespace {

using namespace fedtrain_test;

ft_dp_options dp(double clip, double noise, uint64_t test_seed) {
    ft_dp_options o{};
    o.clip_norm = clip;
    o.noise_multiplier = noise;
    o.insecure_test_seed = test_seed;
    return o;
}

std::vector<float> parameters(ft_trainer* t) {
    int64_t count = 0;
    CHECK(ft_parameter_count(t, &count) == FT_OK);
    std::vector<float> values(static_cast<size_t>(count));
    CHECK(ft_get_parameters(t, values.data(), count) == FT_OK);
    return values;
}

std::vector<float> initial_parameters(uint64_t seed) {
    ft_trainer* t = nullptr;
    CHECK(ft_create(kTinySpec, "cpu", 1, seed, &t) == FT_OK);
    std::vector<float> values = parameters(t);
    ft_destroy(t);
    return values;
}

double max_abs_difference(const std::vector<float>& a, const std::vector<float>& b) {
    double worst = 0;
    for (size_t i = 0; i < a.size(); ++i) worst = std::fmax(worst, std::fabs(double{a[i]} - b[i]));
    return worst;
}

// Per coordinate: (after - before) / scale.
std::vector<double> scaled_change(const std::vector<float>& before, const std::vector<float>& after, double scale) {
    std::vector<double> change(before.size());
    for (size_t i = 0; i < before.size(); ++i) change[i] = (double{after[i]} - before[i]) / scale;
    return change;
}

double l2(const std::vector<double>& v) {
    double sum = 0;
    for (double x : v) sum += x * x;
    return std::sqrt(sum);
}

void test_dp_validation() {
    Data data = make_data(100);
    ft_trainer* t = nullptr;
    CHECK(ft_create(kTinySpec, "cpu", 1, 1, &t) == FT_OK);
    std::vector<float> before = parameters(t);
    ft_train_options options = sgd(0, 2);
    ft_train_result result{};
    ft_dp_result dp_result{};
    auto train = [&](ft_dp_options o) {
        return ft_train_dp(t, data.images.data(), data.labels.data(), 100, &options, &o, nullptr, &result, &dp_result);
    };
    for (double clip : {0.0, -1.0, std::nan(""), double{INFINITY}}) {
        CHECK(train(dp(clip, 1.0, 0)) == FT_E_INVALID_ARGUMENT);
        CHECK(error_contains("clip_norm must be a finite number > 0"));
    }
    for (double noise : {0.0, -0.5, std::nan(""), double{INFINITY}}) {
        CHECK(train(dp(1.0, noise, 0)) == FT_E_INVALID_ARGUMENT);
        CHECK(error_contains("noise_multiplier must be a finite number > 0"));
    }
    CHECK(train(dp(1.0, -0.5, 3)) == FT_E_INVALID_ARGUMENT);  // a test seed allows 0, never less
    options.batch_size = 101;
    CHECK(train(dp(1.0, 1.0, 0)) == FT_E_INVALID_ARGUMENT);
    CHECK(error_contains("batch_size 101 exceeds the 100 examples"));
    options = sgd(0, 0);
    CHECK(train(dp(1.0, 1.0, 0)) == FT_E_INVALID_ARGUMENT);
    CHECK(error_contains("local_epochs or local_steps"));
    options = sgd(0, 2);
    CHECK(ft_train_dp(t, data.images.data(), data.labels.data(), 100, &options, nullptr, nullptr, &result,
                      &dp_result) == FT_E_INVALID_ARGUMENT);
    CHECK(error_contains("dp must not be null"));
    ft_dp_options ok = dp(1.0, 1.0, 0);
    CHECK(ft_train_dp(t, data.images.data(), data.labels.data(), 100, &options, &ok, nullptr, &result, nullptr) ==
          FT_E_INVALID_ARGUMENT);
    CHECK(ft_train_dp(t, data.images.data(), data.labels.data(), 0, &options, &ok, nullptr, &result, &dp_result) ==
          FT_E_INVALID_ARGUMENT);
    CHECK(parameters(t) == before);

    CHECK(train(dp(1.0, 0.0, 3)) == FT_OK);  // zero noise with a test seed
    CHECK(dp_result.insecure_seeded == 1 && dp_result.noise_granularity == 0.0);
    ft_destroy(t);
}

// With q = 1 every example is in every batch, so with no noise and a bound no gradient reaches, DP-SGD is plain
// full-batch training: same optimizer, same steps, same parameters up to float rounding.
void test_dp_without_noise_or_clipping_is_full_batch_training() {
    Data data = make_data(48);
    for (int32_t optimizer : {0, 1}) {
        ft_train_options options = sgd(0, 6);
        options.batch_size = 48;
        options.optimizer = optimizer;
        options.learning_rate = optimizer == 0 ? 0.1f : 0.01f;
        ft_trainer* plain = nullptr;
        ft_trainer* private_ = nullptr;
        CHECK(ft_create(kTinySpec, "cpu", 1, 5, &plain) == FT_OK);
        CHECK(ft_create(kTinySpec, "cpu", 1, 5, &private_) == FT_OK);
        ft_train_result plain_result{}, dp_train{};
        ft_dp_result dp_result{};
        ft_dp_options o = dp(1e9, 0.0, 1);
        CHECK(ft_train(plain, data.images.data(), data.labels.data(), 48, &options, nullptr, &plain_result) == FT_OK);
        CHECK(ft_train_dp(private_, data.images.data(), data.labels.data(), 48, &options, &o, nullptr, &dp_train,
                          &dp_result) == FT_OK);
        std::vector<float> expected = parameters(plain), actual = parameters(private_);
        double scale = 0;
        for (float v : expected) scale = std::fmax(scale, std::fabs(v));
        CHECK(max_abs_difference(expected, actual) < 1e-5 * scale);
        CHECK(max_abs_difference(expected, initial_parameters(5)) > 1e-3);  // training did move them
        CHECK(dp_train.steps == 6 && dp_train.examples == 6 * 48);
        CHECK(std::fabs(dp_train.mean_loss - plain_result.mean_loss) < 1e-5);
        CHECK(dp_result.steps == 6 && dp_result.sampling_rate == 1.0 && dp_result.clip_norm == 1e9);
        ft_destroy(plain);
        ft_destroy(private_);
    }
}

// One plain SGD step moves each parameter by -lr * (sum of clipped gradients + noise) / batch_size. With no
// noise, every example contributing at most C bounds the whole step by lr * C * (examples drawn) / batch_size.
void test_dp_clipping_bounds_each_examples_contribution() {
    Data data = make_data(200);
    ft_train_options options = sgd(0, 1);
    options.batch_size = 20;
    options.momentum = 0.0f;
    options.learning_rate = 0.5f;
    const double clip = 1e-3;
    for (uint64_t seed : {1, 2, 3}) {
        ft_trainer* t = nullptr;
        CHECK(ft_create(kTinySpec, "cpu", 1, 9, &t) == FT_OK);
        std::vector<float> before = parameters(t);
        ft_train_result result{};
        ft_dp_result dp_result{};
        ft_dp_options o = dp(clip, 0.0, seed);
        CHECK(ft_train_dp(t, data.images.data(), data.labels.data(), 200, &options, &o, nullptr, &result, &dp_result) ==
              FT_OK);
        double step = l2(scaled_change(before, parameters(t), 1.0));
        double bound = options.learning_rate * clip * static_cast<double>(result.examples) / options.batch_size;
        CHECK(result.examples > 0 && step <= bound * (1 + 1e-4));
        ft_destroy(t);
    }
}

// Noise: with batch_size 1 and sigma * C = 1, one SGD step is -lr * (clipped sum + N(0, 1) per coordinate), and the
// clipped sum (norm <= C * examples) is negligible next to noise of norm sqrt(parameters) = 82.
void test_dp_noise_has_the_configured_scale() {
    Data data = make_data(1000);
    ft_train_options options = sgd(0, 1);
    options.batch_size = 1;
    options.momentum = 0.0f;
    options.learning_rate = 0.01f;
    for (uint64_t seed : {0, 0, 4}) {  // 0: the OS-keyed stream, as in production
        ft_trainer* t = nullptr;
        CHECK(ft_create(kTinySpec, "cpu", 1, 9, &t) == FT_OK);
        std::vector<float> before = parameters(t);
        ft_train_result result{};
        ft_dp_result dp_result{};
        ft_dp_options o = dp(0.5, 2.0, seed);
        CHECK(ft_train_dp(t, data.images.data(), data.labels.data(), 1000, &options, &o, nullptr, &result,
                          &dp_result) == FT_OK);
        std::vector<double> noise = scaled_change(before, parameters(t), -options.learning_rate);
        double mean = 0;
        for (double v : noise) mean += v;
        mean /= static_cast<double>(noise.size());
        double sd = l2(noise) / std::sqrt(static_cast<double>(noise.size()));
        // 6,794 coordinates: the sd estimate has a relative sd of 0.9%.
        CHECK(std::fabs(sd - 1.0) < 0.05);
        CHECK(std::fabs(mean) < 0.06);
        CHECK(dp_result.insecure_seeded == (seed != 0 ? 1 : 0));
        CHECK(dp_result.noise_granularity == 1.0 / 4096);
        ft_destroy(t);
    }
}

void test_dp_poisson_batches_and_step_counts() {
    Data data = make_data(200);
    ft_trainer* t = nullptr;
    CHECK(ft_create(kTinySpec, "cpu", 1, 2, &t) == FT_OK);
    ft_train_options options = sgd(0, 300);
    options.batch_size = 10;
    options.learning_rate = 0.01f;
    for (uint64_t seed : {0, 8}) {
        ft_train_result result{};
        ft_dp_result dp_result{};
        ft_dp_options o = dp(1.0, 1.0, seed);
        CHECK(ft_train_dp(t, data.images.data(), data.labels.data(), 200, &options, &o, nullptr, &result, &dp_result) ==
              FT_OK);
        double mean_batch = static_cast<double>(result.examples) / static_cast<double>(result.steps);
        // q * n = 10 per step; over 300 steps the mean has sd sqrt(10 * 0.95 / 300) = 0.18.
        CHECK(result.steps == 300 && std::fabs(mean_batch - 10.0) < 1.0);
        CHECK(dp_result.steps == 300 && dp_result.sampling_rate == 0.05 && dp_result.noise_multiplier == 1.0);
    }
    // Epochs are n / batch_size steps in expectation: ceil(2 * 200 / 30) = 14.
    options = sgd(2, 0);
    options.batch_size = 30;
    ft_train_result result{};
    ft_dp_result dp_result{};
    ft_dp_options o = dp(1.0, 1.0, 0);
    CHECK(ft_train_dp(t, data.images.data(), data.labels.data(), 200, &options, &o, nullptr, &result, &dp_result) ==
          FT_OK);
    CHECK(result.steps == 14 && dp_result.steps == 14 && dp_result.sampling_rate == 0.15);
    ft_destroy(t);
}

void test_dp_randomness_is_private_unless_seeded() {
    Data data = make_data(100);
    std::vector<std::vector<float>> runs;
    for (uint64_t seed : {6, 6, 0, 0}) {
        ft_trainer* t = nullptr;
        CHECK(ft_create(kTinySpec, "cpu", 1, 3, &t) == FT_OK);
        ft_train_options options = sgd(0, 3);
        ft_train_result result{};
        ft_dp_result dp_result{};
        ft_dp_options o = dp(1.0, 1.0, seed);
        CHECK(ft_train_dp(t, data.images.data(), data.labels.data(), 100, &options, &o, nullptr, &result, &dp_result) ==
              FT_OK);
        runs.push_back(parameters(t));
        ft_destroy(t);
    }
    CHECK(runs[0] == runs[1]);  // the test seed reproduces batches and noise
    CHECK(runs[2] != runs[3]);  // the OS-keyed stream never repeats
    CHECK(runs[0] != runs[2]);
    // options.seed is not a source of DP randomness: changing it changes nothing under a fixed test seed.
    ft_trainer* t = nullptr;
    CHECK(ft_create(kTinySpec, "cpu", 1, 3, &t) == FT_OK);
    ft_train_options options = sgd(0, 3);
    options.seed = 12345;
    ft_train_result result{};
    ft_dp_result dp_result{};
    ft_dp_options o = dp(1.0, 1.0, 6);
    CHECK(ft_train_dp(t, data.images.data(), data.labels.data(), 100, &options, &o, nullptr, &result, &dp_result) ==
          FT_OK);
    CHECK(parameters(t) == runs[0]);
    ft_destroy(t);
}

void test_dp_cancellation() {
    Data data = make_data(100);
    ft_trainer* t = nullptr;
    CHECK(ft_create(kTinySpec, "cpu", 1, 3, &t) == FT_OK);
    std::vector<float> before = parameters(t);
    ft_train_options options = sgd(0, 5);
    ft_train_result result{};
    ft_dp_result dp_result{};
    ft_dp_options o = dp(1.0, 1.0, 0);
    volatile int32_t cancel = 1;
    CHECK(ft_train_dp(t, data.images.data(), data.labels.data(), 100, &options, &o, &cancel, &result, &dp_result) ==
          FT_E_CANCELLED);
    CHECK(error_contains("cancelled after 0 of 5 steps"));
    CHECK(parameters(t) == before);
    ft_destroy(t);
}

// Moderate noise (sigma = 1 at q = 0.1) still learns the synthetic classes.
void test_dp_training_learns() {
    Data data = make_data(500);
    ft_trainer* t = nullptr;
    CHECK(ft_create(kTinySpec, "cpu", 1, 3, &t) == FT_OK);
    ft_eval_result before{}, after{};
    CHECK(ft_evaluate(t, data.images.data(), data.labels.data(), 500, 250, nullptr, nullptr, &before) == FT_OK);
    ft_train_options options = sgd(6, 0);
    options.batch_size = 50;
    options.learning_rate = 0.1f;
    ft_train_result result{};
    ft_dp_result dp_result{};
    ft_dp_options o = dp(1.0, 1.0, 0);
    CHECK(ft_train_dp(t, data.images.data(), data.labels.data(), 500, &options, &o, nullptr, &result, &dp_result) ==
          FT_OK);
    CHECK(ft_evaluate(t, data.images.data(), data.labels.data(), 500, 250, nullptr, nullptr, &after) == FT_OK);
    std::printf("dp learning: accuracy %.3f -> %.3f, loss %.3f -> %.3f in %ld steps\n", before.accuracy,
                after.accuracy, before.mean_loss, after.mean_loss, static_cast<long>(result.steps));
    CHECK(result.steps == 60);
    CHECK(after.mean_loss < before.mean_loss / 2);
    CHECK(after.accuracy > 0.9);
    ft_destroy(t);
}

}  // namespace

int main() {
    CHECK(ft_abi_version() == FT_ABI_VERSION);
    test_dp_validation();
    test_dp_without_noise_or_clipping_is_full_batch_training();
    test_dp_clipping_bounds_each_examples_contribution();
    test_dp_noise_has_the_configured_scale();
    test_dp_poisson_batches_and_step_counts();
    test_dp_randomness_is_private_unless_seeded();
    test_dp_cancellation();
    test_dp_training_learns();
    if (g_failures != 0) {
        std::fprintf(stderr, "%d check(s) failed\n", g_failures);
        return 1;
    }
    std::printf("all checks passed\n");
    return 0;
}
