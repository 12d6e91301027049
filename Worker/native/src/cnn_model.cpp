#include "cnn_model.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <cmath>

#include "dense.h"
#include "error.h"

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
