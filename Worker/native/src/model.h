// What the trainer needs from a network. Kinds (CNN today; a ViT, a causal LM or a TorchScript module later)
// implement this behind the same C ABI; only model_factory.cpp knows them by name.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <string>
#include <vector>

namespace fedtrain {

struct NamedTensor {
    std::string name;  // PyTorch dotted name, e.g. "conv0.weight"
    at::Tensor tensor;
};

// What one chunk of a DP-SGD batch leaves besides the gradients it added.
struct ClippedGradients {
    at::Tensor logits;  // [batch, classes], detached
    at::Tensor losses;  // [batch] cross-entropy of each example, detached
    at::Tensor norms;   // [batch] float64 L2 norm of each example's whole gradient, before clipping
};

class Model {
public:
    virtual ~Model() = default;

    // Logits [batch, classes] for a batch of inputs [batch, input_shape...].
    virtual at::Tensor forward(const at::Tensor& input) = 0;

    // Trainable float32 parameters in a fixed order: the order of the flat parameter buffer.
    virtual std::vector<NamedTensor> parameters() const = 0;

    virtual void set_training(bool training) = 0;

    virtual void to(c10::Device device) = 0;

    virtual int64_t classes() const = 0;

    // Shape of one example, without the batch dimension.
    virtual const std::vector<int64_t>& input_shape() const = 0;

    // DP-SGD: with g_i the gradient of example i's cross-entropy over all parameters (flat), adds
    // sum_i min(1, clip_norm / |g_i|) * g_i to every parameter's grad, which must be defined. The default does a
    // forward and backward pass per example (per_example.cpp); kinds override it with per-example formulas.
    virtual ClippedGradients add_clipped_gradients(const at::Tensor& input, const at::Tensor& labels,
                                                   double clip_norm);

    // Float32 state that travels in the flat buffer after the parameters but is never trained by the optimizer
    // (batch-norm running statistics of a TorchScript module). Zoo models have none.
    virtual std::vector<NamedTensor> buffers() const { return {}; }

    // Everything a PyTorch state dict of this model holds, by PyTorch name: parameters and all buffers.
    virtual std::vector<NamedTensor> state_dict() const;

    // Writes the model as a TorchScript archive; kinds without a TorchScript form throw FT_E_INVALID_ARGUMENT.
    virtual void save_torchscript(const std::string& path) const;
};

}  // namespace fedtrain
