#pragma once

#include <ATen/core/Tensor.h>

namespace fedtrain {

// y = flatten(x) * weight^T + bias, with weight [out, features] laid out like torch.nn.Linear.
at::Tensor dense(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias);

}  // namespace fedtrain
