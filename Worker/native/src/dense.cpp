#include "dense.h"

#include <ATen/Context.h>
#include <ATen/Functions.h>
#include <c10/core/GradMode.h>

#include <algorithm>
#include <vector>

namespace fedtrain {
namespace {

// oneDNN reorders a convolution's weight into its blocked layout on every call: a temporary as large as the weight.
// Without autograd the output features are independent, so a larger layer runs in slices of at most this many
// weights and the temporary stays one slice (16 MB) however large the layer. A coordinator scoring a 50M-parameter
// model would otherwise hold a second copy of its hidden layer for the whole evaluation.
constexpr int64_t kMaxReorderedWeights = int64_t{4} << 20;

at::Tensor sliced_conv(const at::Tensor& image, const at::Tensor& kernel, const at::Tensor& bias) {
    const int64_t outputs = kernel.size(0);
    const int64_t per_output = kernel.numel() / outputs;
    const int64_t rows = std::max<int64_t>(1, kMaxReorderedWeights / per_output);
    std::vector<at::Tensor> parts;
    for (int64_t first = 0; first < outputs; first += rows) {
        const int64_t count = std::min(rows, outputs - first);
        parts.push_back(at::conv2d(image, kernel.narrow(0, first, count),
                                   bias.defined() ? bias.narrow(0, first, count) : at::Tensor()));
    }
    return at::cat(parts, 1);
}

}  // namespace

at::Tensor dense(const at::Tensor& input, const at::Tensor& weight, const at::Tensor& bias) {
    // Distribution builds of libtorch (Debian's among them) run CPU GEMMs on the reference BLAS, several times
    // slower than oneDNN. A convolution whose kernel covers the whole input is the same product, and libtorch
    // sends it to oneDNN for batches > 1 (measured 38 ms -> 8 ms for a 3136x128 layer at batch 64). The weight
    // keeps its Linear shape, so names, shapes and checkpoints are unchanged.
    if (input.is_cpu() && input.size(0) > 1 && input.scalar_type() == at::kFloat && at::hasMKLDNN()) {
        int64_t batch = input.size(0);
        at::Tensor image = input.dim() == 4 ? input : input.reshape({batch, -1, 1, 1});
        at::Tensor kernel = weight.view({weight.size(0), image.size(1), image.size(2), image.size(3)});
        bool slice = !at::GradMode::is_enabled() && weight.numel() > kMaxReorderedWeights;
        return (slice ? sliced_conv(image, kernel, bias) : at::conv2d(image, kernel, bias)).flatten(1);
    }
    return at::linear(input.flatten(1), weight, bias);
}

}  // namespace fedtrain
