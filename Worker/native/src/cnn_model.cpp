#include "cnn_model.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/autograd.h>

#include <cmath>

#include "dense.h"
#include "error.h"
#include "per_example.h"

namespace fedtrain {
namespace {

// Caps keep a typo from asking for terabytes; real models sit far below them.
constexpr int64_t kMaxSide = 8192;
constexpr int64_t kMaxWidth = 8192;
constexpr int64_t kMaxParameters = int64_t{1} << 31;

class CnnNet : public torch::nn::Module {
public:
    explicit CnnNet(const CnnSpec& spec) {
        int64_t in = spec.channels;
        for (size_t i = 0; i < spec.conv.size(); ++i) {
            convs_.push_back(register_module(
                "conv" + std::to_string(i),
                torch::nn::Conv2d(torch::nn::Conv2dOptions(in, spec.conv[i], 3).padding(1))));
            in = spec.conv[i];
        }
        int64_t features = in * (spec.height >> spec.conv.size()) * (spec.width >> spec.conv.size());
        if (spec.hidden > 0) {
            fc1_ = register_module("fc1", torch::nn::Linear(features, spec.hidden));
            features = spec.hidden;
        }
        out_ = register_module("out", torch::nn::Linear(features, spec.classes));
    }

    at::Tensor forward(const at::Tensor& input) {
        at::Tensor h = input;
        for (auto& conv : convs_) {
            // In-place ReLU on the conv output spares one activation-sized allocation per block.
            h = at::max_pool2d(conv->forward(h).relu_(), {2, 2});
        }
        if (fc1_) {
            h = dense(h, fc1_->weight, fc1_->bias).relu_();
        }
        return dense(h, out_->weight, out_->bias);
    }

    // DP-SGD clipping from per-layer formulas: one forward pass and one backward pass to the layer outputs, then
    // each example's weight gradients from its layer inputs and output gradients (Goodfellow 2015): dense layers
    // never materialise them (|g a^T| = |g| |a|), conv layers do, in one grouped convolution per layer.
    ClippedGradients add_clipped_gradients(const at::Tensor& input, const at::Tensor& labels, double clip_norm) {
        std::vector<at::Tensor> inputs;   // what each layer read, conv layers first, then dense
        std::vector<at::Tensor> outputs;  // each layer's output before its ReLU
        at::Tensor h = input;
        for (auto& conv : convs_) {
            inputs.push_back(h);
            outputs.push_back(conv->forward(h));
            h = at::max_pool2d(outputs.back().relu(), {2, 2});  // not in place: the pre-ReLU output is asked for
        }
        h = h.flatten(1);
        if (fc1_) {
            inputs.push_back(h);
            outputs.push_back(dense(h, fc1_->weight, fc1_->bias));
            h = outputs.back().relu();
        }
        inputs.push_back(h);
        outputs.push_back(dense(h, out_->weight, out_->bias));
        at::Tensor losses = at::cross_entropy_loss(outputs.back(), labels, {}, at::Reduction::None);
        // Examples do not interact, so the gradient of the summed loss w.r.t. a layer output holds each example's
        // own output gradient. Asking for these alone skips the weight gradients of the backward pass.
        std::vector<at::Tensor> grads = torch::autograd::grad({losses.sum()}, outputs);

        c10::NoGradGuard no_grad;
        const int64_t batch = input.size(0);
        const size_t convs = convs_.size();
        std::vector<at::Tensor> conv_weight_grads(convs), conv_bias_grads(convs);
        at::Tensor squared = at::zeros({batch}, input.options().dtype(at::kDouble));
        for (size_t l = 0; l < convs; ++l) {
            conv_weight_grads[l] = conv2d_example_weight_grads(inputs[l], grads[l], 1).reshape({batch, -1});
            conv_bias_grads[l] = grads[l].sum({2, 3});
            squared += at::sum(conv_weight_grads[l].square(), {1}, false, at::kDouble);
            squared += at::sum(conv_bias_grads[l].square(), {1}, false, at::kDouble);
        }
        for (size_t l = convs; l < outputs.size(); ++l) {
            // Example i's weight gradient is g_i a_i^T, whose squared norm is |g_i|^2 |a_i|^2; the bias adds |g_i|^2.
            at::Tensor input_squared = at::sum(inputs[l].square(), {1}, false, at::kDouble);
            squared += at::sum(grads[l].square(), {1}, false, at::kDouble).mul_(input_squared.add_(1.0));
        }
        at::Tensor norms = squared.sqrt();
        at::Tensor factors = clip_factors(norms, clip_norm).to(at::kFloat).unsqueeze(1);

        for (size_t l = 0; l < convs; ++l) {
            at::Tensor& weight = convs_[l]->weight;
            weight.mutable_grad().add_(conv_weight_grads[l].mul(factors).sum(0).view(weight.sizes()));
            convs_[l]->bias.mutable_grad().add_(conv_bias_grads[l].mul(factors).sum(0));
        }
        std::vector<torch::nn::Linear> dense_layers;
        if (fc1_) dense_layers.push_back(fc1_);
        dense_layers.push_back(out_);
        for (size_t d = 0; d < dense_layers.size(); ++d) {
            const size_t l = convs + d;
            at::Tensor scaled = grads[l].mul(factors);  // [batch, out]
            // sum_i s_i g_i a_i^T as one product, [out, batch] x [batch, in], through dense() for oneDNN.
            dense_layers[d]->weight.mutable_grad().add_(
                dense(scaled.t().contiguous(), inputs[l].t().contiguous(), at::Tensor()));
            dense_layers[d]->bias.mutable_grad().add_(scaled.sum(0));
        }
        return {outputs.back().detach(), losses.detach(), norms};
    }

    void reset(at::Generator& generator) {
        torch::NoGradGuard no_grad;
        for (auto& conv : convs_) {
            init(conv->weight, conv->bias, conv->weight[0].numel(), generator);
        }
        if (fc1_) {
            init(fc1_->weight, fc1_->bias, fc1_->weight.size(1), generator);
        }
        init(out_->weight, out_->bias, out_->weight.size(1), generator);
    }

private:
    static void init(at::Tensor& weight, at::Tensor& bias, int64_t fan_in, at::Generator& generator) {
        // kaiming_uniform_(a = sqrt(5)) and the bias rule both reduce to this bound.
        double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
        weight.uniform_(-bound, bound, generator);
        bias.uniform_(-bound, bound, generator);
    }

    std::vector<torch::nn::Conv2d> convs_;
    torch::nn::Linear fc1_{nullptr};
    torch::nn::Linear out_{nullptr};
};

class CnnModel final : public Model {
public:
    CnnModel(const CnnSpec& spec, uint64_t seed)
        : net_(std::make_shared<CnnNet>(spec)),
          classes_(spec.classes),
          input_shape_{spec.channels, spec.height, spec.width} {
        at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
        net_->reset(generator);
    }

    at::Tensor forward(const at::Tensor& input) override { return net_->forward(input); }

    ClippedGradients add_clipped_gradients(const at::Tensor& input, const at::Tensor& labels,
                                           double clip_norm) override {
        return net_->add_clipped_gradients(input, labels, clip_norm);
    }

    std::vector<NamedTensor> parameters() const override {
        std::vector<NamedTensor> result;
        for (const auto& item : net_->named_parameters(/*recurse=*/true)) {
            result.push_back({item.key(), item.value()});
        }
        return result;
    }

    void set_training(bool training) override { net_->train(training); }

    void to(c10::Device device) override { net_->to(device); }

    int64_t classes() const override { return classes_; }

    const std::vector<int64_t>& input_shape() const override { return input_shape_; }

private:
    std::shared_ptr<CnnNet> net_;
    int64_t classes_;
    std::vector<int64_t> input_shape_;
};

}  // namespace

CnnSpec CnnSpec::from_args(SpecArgs& args) {
    CnnSpec spec;
    std::vector<int64_t> in = args.take_int_list("in", 3, 3, 1, kMaxSide);
    spec.channels = in[0];
    spec.height = in[1];
    spec.width = in[2];
    spec.classes = args.take_int("classes", 2, 1 << 20);
    spec.conv = args.take_int_list("conv", 1, 8, 1, kMaxWidth);
    spec.hidden = args.take_int_or("hidden", 0, 0, 1 << 20);
    args.finish();

    int64_t side = std::min(spec.height, spec.width) >> spec.conv.size();
    if (side < 1) {
        invalid(std::to_string(spec.conv.size()) + " pooling conv blocks shrink a " + std::to_string(spec.height) +
                "x" + std::to_string(spec.width) + " input below one pixel");
    }
    if (spec.parameter_count() > kMaxParameters) {
        invalid("model spec asks for " + std::to_string(spec.parameter_count()) + " parameters; the limit is " +
                std::to_string(kMaxParameters));
    }
    return spec;
}

int64_t CnnSpec::parameter_count() const {
    int64_t total = 0;
    int64_t in = channels;
    for (int64_t c : conv) {
        total += c * in * 9 + c;
        in = c;
    }
    int64_t features = in * (height >> conv.size()) * (width >> conv.size());
    if (hidden > 0) {
        total += hidden * features + hidden;
        features = hidden;
    }
    return total + classes * features + classes;
}

std::unique_ptr<Model> make_cnn_model(const CnnSpec& spec, uint64_t seed) {
    return std::make_unique<CnnModel>(spec, seed);
}

}  // namespace fedtrain
