#include "train_support.h"

#include <torch/optim/adam.h>
#include <torch/optim/sgd.h>

#include <cmath>
#include <string>

#include "error.h"

namespace fedtrain {
namespace {

std::string number(double value) { return std::to_string(value); }

}  // namespace

void validate_train_options(const ft_train_options& o) {
    if (o.local_epochs < 0 || o.local_steps < 0 || (o.local_epochs == 0 && o.local_steps == 0)) {
        invalid("set local_epochs or local_steps to a positive number (got epochs=" + std::to_string(o.local_epochs) +
                ", steps=" + std::to_string(o.local_steps) + ")");
    }
    if (o.batch_size <= 0) {
        invalid("batch size must be positive, got " + std::to_string(o.batch_size));
    }
    if (!std::isfinite(o.learning_rate) || o.learning_rate <= 0) {
        invalid("learning rate must be a positive finite number, got " + number(o.learning_rate));
    }
    if (o.optimizer != 0 && o.optimizer != 1) {
        invalid("unknown optimizer " + std::to_string(o.optimizer) + "; use 0 (SGD) or 1 (Adam)");
    }
    if (!std::isfinite(o.momentum) || o.momentum < 0 || o.momentum >= 1) {
        invalid("momentum must be in [0, 1), got " + number(o.momentum));
    }
    if (!std::isfinite(o.weight_decay) || o.weight_decay < 0) {
        invalid("weight decay must be a finite number >= 0, got " + number(o.weight_decay));
    }
    if (!std::isfinite(o.proximal_mu) || o.proximal_mu < 0) {
        invalid("proximal_mu must be a finite number >= 0, got " + number(o.proximal_mu));
    }
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const std::vector<NamedTensor>& named,
                                                        const ft_train_options& o) {
    std::vector<at::Tensor> parameters;
    parameters.reserve(named.size());
    for (const NamedTensor& p : named) {
        parameters.push_back(p.tensor);
    }
    if (o.optimizer == 1) {
        return std::make_unique<torch::optim::Adam>(
            parameters, torch::optim::AdamOptions(o.learning_rate).weight_decay(o.weight_decay));
    }
    return std::make_unique<torch::optim::SGD>(
        parameters, torch::optim::SGDOptions(o.learning_rate).momentum(o.momentum).weight_decay(o.weight_decay));
}

void diverged(int64_t step, int64_t total) {
    fail(FT_E_NONFINITE, "training diverged: the loss became NaN or Inf by step " + std::to_string(step + 1) +
                             " of " + std::to_string(total) + "; lower the learning rate or check the parameters");
}

}  // namespace fedtrain
