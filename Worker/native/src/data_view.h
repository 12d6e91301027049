// Caller-owned examples seen as tensors: zero-copy views on CPU, one upload per call on an accelerator (so
// batches are then gathered on the device without a host round trip per step).
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <vector>

namespace fedtrain {

struct DataView {
    at::Tensor images;  // [n, input_shape...] float32
    at::Tensor labels;  // [n] int64
};

DataView view_data(const float* images, const int64_t* labels, int64_t n, const std::vector<int64_t>& input_shape,
                   c10::Device device);

}  // namespace fedtrain
