// What plain training (train.cpp) and DP-SGD (train_dp.cpp) share: option checks, the optimizer, divergence.
#pragma once

#include <torch/optim/optimizer.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "fedtrain_trainer.h"
#include "model.h"

namespace fedtrain {

// On an accelerator, reading the loss forces a device sync, so divergence is checked every this many steps
// (and once at the end) from the running sum, which NaN/Inf poisons for good. On CPU every step is checked.
constexpr int64_t kAcceleratorCheckInterval = 32;

// Throws Error(FT_E_INVALID_ARGUMENT) naming the first option outside its domain.
void validate_train_options(const ft_train_options& options);

// A fresh optimizer over the parameters: FedAvg starts every round from the global model with no local state.
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const std::vector<NamedTensor>& parameters,
                                                        const ft_train_options& options);

[[noreturn]] void diverged(int64_t step, int64_t total);

}  // namespace fedtrain
