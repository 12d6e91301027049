// Time per optimizer step of ft_train (plain) against ft_train_dp (DP-SGD) on one model, through the C ABI.
//
//   fedtrain_dp_bench [spec] [batch] [steps] [threads]
//
// Defaults: the default CNN (conv=32,64 hidden=128), batch 32, 50 steps, 1 thread. Each mode runs once to warm
// up, then `rounds` times; the median round is reported.
#include "fedtrain_trainer.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

constexpr int kRounds = 5;

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

void require(int status, const char* what) {
    if (status != FT_OK) {
        std::fprintf(stderr, "%s failed (%d): %s\n", what, status, ft_last_error());
        std::exit(1);
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::string spec = argc > 1 ? argv[1] : "kind=cnn;in=1,28,28;classes=10;conv=32,64;hidden=128";
    int32_t batch = argc > 2 ? std::atoi(argv[2]) : 32;
    int32_t steps = argc > 3 ? std::atoi(argv[3]) : 50;
    int32_t threads = argc > 4 ? std::atoi(argv[4]) : 1;

    ft_trainer* t = nullptr;
    require(ft_create(spec.c_str(), "cpu", threads, 1, &t), "ft_create");
    ft_model_info info{};
    require(ft_describe(t, &info), "ft_describe");
    const int64_t n = 4096;
    std::vector<float> images(static_cast<size_t>(n * info.example_numel));
    std::vector<int64_t> labels(static_cast<size_t>(n));
    uint32_t state = 1;
    for (float& v : images) {
        state = state * 1664525u + 1013904223u;
        v = static_cast<float>(state >> 8) / 16777216.0f;
    }
    for (int64_t i = 0; i < n; ++i) labels[static_cast<size_t>(i)] = i % info.classes;

    ft_train_options options{};
    options.local_steps = steps;
    options.batch_size = batch;
    options.learning_rate = 0.01f;
    options.momentum = 0.9f;
    options.seed = 1;
    ft_dp_options dp{};
    dp.clip_norm = 1.0;
    dp.noise_multiplier = 1.0;
    std::vector<double> plain, private_;
    for (int round = 0; round <= kRounds; ++round) {
        ft_train_result result{};
        ft_dp_result dp_result{};
        require(ft_train(t, images.data(), labels.data(), n, &options, nullptr, &result), "ft_train");
        if (round > 0) plain.push_back(result.seconds / steps);
        require(ft_train_dp(t, images.data(), labels.data(), n, &options, &dp, nullptr, &result, &dp_result),
                "ft_train_dp");
        if (round > 0) private_.push_back(result.seconds / steps);
    }
    double p = median(plain) * 1e3, d = median(private_) * 1e3;
    std::printf("%s batch %d, %d threads: plain %.2f ms/step, DP-SGD %.2f ms/step (x%.2f)\n", spec.c_str(), batch,
                threads, p, d, d / p);
    ft_destroy(t);
    return 0;
}
