// What the C ABI tests share: a CHECK that counts failures instead of aborting (assert compiles out of Release
// builds), the tiny CNN spec and learnable synthetic images.
#pragma once

#include "fedtrain_trainer.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

namespace fedtrain_test {

inline int g_failures = 0;

#define CHECK(condition)                                                                   \
    do {                                                                                   \
        if (!(condition)) {                                                                \
            std::fprintf(stderr, "%s:%d: CHECK(%s) failed; last error: %s\n", __FILE__, __LINE__, \
                         #condition, ft_last_error());                                     \
            ++fedtrain_test::g_failures;                                                   \
        }                                                                                  \
    } while (0)

inline const char* kTinySpec = "kind=cnn;in=1,28,28;classes=10;conv=4,8;hidden=16";

// Class k lights a 6x6 block in cell k of a 4x3 grid, over low noise: learnable in a few epochs.
struct Data {
    std::vector<float> images;
    std::vector<int64_t> labels;
};

inline Data make_data(int64_t n) {
    Data data{std::vector<float>(n * 784), std::vector<int64_t>(n)};
    uint32_t state = 12345;
    for (int64_t i = 0; i < n; ++i) {
        int64_t label = i % 10;
        data.labels[i] = label;
        float* image = &data.images[i * 784];
        for (int p = 0; p < 784; ++p) {
            state = state * 1664525u + 1013904223u;
            image[p] = static_cast<float>(state >> 8) / 16777216.0f * 0.2f;
        }
        int top = static_cast<int>(label / 3) * 7, left = static_cast<int>(label % 3) * 9;
        for (int r = 0; r < 6; ++r) {
            for (int c = 0; c < 6; ++c) {
                image[(top + r) * 28 + left + c] += 1.0f;
            }
        }
    }
    return data;
}

inline ft_train_options sgd(int32_t epochs, int32_t steps) {
    ft_train_options o{};
    o.local_epochs = epochs;
    o.local_steps = steps;
    o.batch_size = 32;
    o.learning_rate = 0.05f;
    o.optimizer = 0;
    o.momentum = 0.9f;
    o.weight_decay = 0.0f;
    o.seed = 7;
    return o;
}

inline bool error_contains(const char* text) { return std::strstr(ft_last_error(), text) != nullptr; }

}  // namespace fedtrain_test
