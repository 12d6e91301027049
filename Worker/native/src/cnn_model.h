// kind=cnn: per conv width c: Conv2d(3x3, padding 1) -> ReLU -> MaxPool2d(2); flatten; optional hidden
// Linear -> ReLU; Linear to classes. Parameters: conv0.weight, conv0.bias, ..., fc1.*, out.*.
#pragma once

#include <memory>

#include "model.h"
#include "spec_args.h"

namespace fedtrain {

struct CnnSpec {
    int64_t channels = 0;
    int64_t height = 0;
    int64_t width = 0;
    int64_t classes = 0;
    std::vector<int64_t> conv;
    int64_t hidden = 0;

    // Takes in=, classes=, conv=, hidden= (optional, default 0) and checks the shapes fit together.
    static CnnSpec from_args(SpecArgs& args);

    int64_t parameter_count() const;
};

// Initialises like PyTorch's defaults (U(-1/sqrt(fan_in), 1/sqrt(fan_in))) but from a private generator
// seeded with seed, so concurrent trainers neither race on nor disturb torch's global generator.
std::unique_ptr<Model> make_cnn_model(const CnnSpec& spec, uint64_t seed);

}  // namespace fedtrain
