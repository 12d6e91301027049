// kind=mlp: a tabular classifier. Per hidden width h: Linear -> ReLU; then Linear to classes. An example is a row
// of D standardised features (input shape [1, 1, D], the C x H x W layout every zoo kind shares). Parameters: fc0.weight, fc0.bias, ..., out.weight, out.bias.
#pragma once

#include <memory>

#include "model.h"
#include "spec_args.h"

namespace fedtrain {

struct MlpSpec {
    int64_t features = 0;
    int64_t classes = 0;
    std::vector<int64_t> hidden;

    // Takes in=D, classes=K and hidden=W1,W2,... (optional: none is a linear, softmax-regression model).
    static MlpSpec from_args(SpecArgs& args);

    int64_t parameter_count() const;
};

// Initialised like torch.nn.Linear's defaults from a private generator seeded with seed.
std::unique_ptr<Model> make_mlp_model(const MlpSpec& spec, uint64_t seed);

}  // namespace fedtrain
