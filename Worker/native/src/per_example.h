// Per-example gradients for DP-SGD: the generic reference (one backward pass per example) and the building
// blocks of faster per-layer formulas.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

#include "model.h"

namespace fedtrain {

// Model::add_clipped_gradients for any model, one forward and backward pass per example. Slow; the reference
// that faster implementations are tested against.
ClippedGradients add_clipped_gradients_by_example(Model& model, const at::Tensor& input, const at::Tensor& labels,
                                                  double clip_norm);

// min(1, clip_norm / norm) per example, computed as clip_norm / max(norm, clip_norm): exactly 1 within the bound.
at::Tensor clip_factors(const at::Tensor& norms, double clip_norm);

// Weight gradient of a stride-1, dilation-1, ungrouped conv2d for each example, [batch, out, in, kh, kw], from the
// layer's input [batch, in, H, W] and the gradient of its output [batch, out, Ho, Wo].
at::Tensor conv2d_example_weight_grads(const at::Tensor& input, const at::Tensor& grad_output, int64_t padding);

}  // namespace fedtrain
