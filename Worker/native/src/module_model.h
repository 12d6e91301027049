// The Model plumbing every torch::nn::Module-based kind shares: parameters in registration order under their
// dotted names, train/eval mode, device moves, and the fixed input shape and class count.
#pragma once

#include <torch/nn/module.h>

#include <memory>
#include <utility>
#include <vector>

#include "model.h"

namespace fedtrain {

class ModuleModel : public Model {
public:
    ModuleModel(std::shared_ptr<torch::nn::Module> module, int64_t classes, std::vector<int64_t> input_shape)
        : module_(std::move(module)), classes_(classes), input_shape_(std::move(input_shape)) {}

    std::vector<NamedTensor> parameters() const override {
        std::vector<NamedTensor> result;
        for (const auto& item : module_->named_parameters(/*recurse=*/true)) {
            result.push_back({item.key(), item.value()});
        }
        return result;
    }

    void set_training(bool training) override { module_->train(training); }

    void to(c10::Device device) override { module_->to(device); }

    int64_t classes() const override { return classes_; }

    const std::vector<int64_t>& input_shape() const override { return input_shape_; }

private:
    std::shared_ptr<torch::nn::Module> module_;
    int64_t classes_;
    std::vector<int64_t> input_shape_;
};

}  // namespace fedtrain
