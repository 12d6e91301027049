// FedProx through the C ABI: the proximal term (mu / 2) * ||w - w_start||^2 pulls local training toward the
// starting model, and its gradient is exactly mu * (w - w_start).
#include "abi_test_support.h"

#include <cmath>
#include <cstdio>
#include <vector>

namespace {

using namespace fedtrain_test;

std::vector<float> train(const Data& data, int64_t n, ft_train_options options, std::vector<float>* start) {
    ft_trainer* t = nullptr;
    CHECK(ft_create(kTinySpec, "cpu", 1, 11, &t) == FT_OK);
    int64_t count = 0;
    CHECK(ft_parameter_count(t, &count) == FT_OK);
    if (start != nullptr) {
        start->resize(count);
        CHECK(ft_get_parameters(t, start->data(), count) == FT_OK);
    }
    ft_train_result result{};
    CHECK(ft_train(t, data.images.data(), data.labels.data(), n, &options, nullptr, &result) == FT_OK);
    std::vector<float> after(count);
    CHECK(ft_get_parameters(t, after.data(), count) == FT_OK);
    ft_destroy(t);
    return after;
}

double distance(const std::vector<float>& a, const std::vector<float>& b) {
    double sum = 0;
    for (size_t i = 0; i < a.size(); ++i) sum += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    return std::sqrt(sum);
}

void test_pulls_toward_start() {
    Data data = make_data(200);
    ft_train_options options = sgd(0, 30);
    std::vector<float> start;
    std::vector<float> plain = train(data, 200, options, &start);
    options.proximal_mu = 1.0f;
    std::vector<float> prox = train(data, 200, options, nullptr);
    double plain_drift = distance(plain, start), prox_drift = distance(prox, start);
    std::printf("drift from the start after 30 steps: mu=0 %.4f, mu=1 %.4f\n", plain_drift, prox_drift);
    CHECK(plain_drift > 0 && prox_drift < 0.9 * plain_drift);
}

// With plain SGD (no momentum), step 1 is the same with or without the term, since w = w_start there; step 2 then
// differs by exactly -lr * mu * (w1 - w_start). Full batches keep the data gradients identical across runs.
void test_gradient_term() {
    Data data = make_data(40);
    ft_train_options options = sgd(0, 1);
    options.batch_size = 40;
    options.momentum = 0.0f;
    options.learning_rate = 0.1f;
    const float mu = 0.5f;
    std::vector<float> start;
    std::vector<float> one_step = train(data, 40, options, &start);
    options.local_steps = 2;
    std::vector<float> two_plain = train(data, 40, options, nullptr);
    options.proximal_mu = mu;
    std::vector<float> two_prox = train(data, 40, options, nullptr);
    double worst = 0, moved = 0;
    for (size_t i = 0; i < start.size(); ++i) {
        double expected = -double(options.learning_rate) * mu * (double(one_step[i]) - start[i]);
        double actual = double(two_prox[i]) - two_plain[i];
        worst = std::fmax(worst, std::fabs(actual - expected));
        moved = std::fmax(moved, std::fabs(expected));
    }
    std::printf("proximal step: largest expected change %.3g, largest error %.3g\n", moved, worst);
    CHECK(moved > 1e-4 && worst < 1e-6);

    options.proximal_mu = -0.1f;
    ft_trainer* t = nullptr;
    CHECK(ft_create(kTinySpec, "cpu", 1, 11, &t) == FT_OK);
    ft_train_result result{};
    CHECK(ft_train(t, data.images.data(), data.labels.data(), 40, &options, nullptr, &result) == FT_E_INVALID_ARGUMENT);
    CHECK(error_contains("proximal_mu must be a finite number >= 0"));
    ft_destroy(t);
}

}  // namespace

int main() {
    test_pulls_toward_start();
    test_gradient_term();
    if (g_failures != 0) {
        std::fprintf(stderr, "%d check(s) failed\n", g_failures);
        return 1;
    }
    std::printf("all checks passed\n");
    return 0;
}
