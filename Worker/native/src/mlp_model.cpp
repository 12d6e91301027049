#include "mlp_model.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>

#include <cmath>

#include "dense.h"
#include "error.h"

namespace fedtrain {
namespace {

constexpr int64_t kMaxFeatures = int64_t{1} << 20;
constexpr int64_t kMaxWidth = int64_t{1} << 16;
constexpr int64_t kMaxParameters = int64_t{1} << 31;

class MlpNet : public torch::nn::Module {
public:
    explicit MlpNet(const MlpSpec& spec) {
        int64_t in = spec.features;
        for (size_t i = 0; i < spec.hidden.size(); ++i) {
            layers_.push_back(register_module("fc" + std::to_string(i), torch::nn::Linear(in, spec.hidden[i])));
            in = spec.hidden[i];
        }
        out_ = register_module("out", torch::nn::Linear(in, spec.classes));
    }

    at::Tensor forward(const at::Tensor& input) {
        at::Tensor h = input.flatten(1);
        for (auto& layer : layers_) {
            h = dense(h, layer->weight, layer->bias).relu_();
        }
        return dense(h, out_->weight, out_->bias);
    }

    void reset(at::Generator& generator) {
        torch::NoGradGuard no_grad;
        for (auto& layer : layers_) {
            init(layer, generator);
        }
        init(out_, generator);
    }

private:
    static void init(torch::nn::Linear& layer, at::Generator& generator) {
        double bound = 1.0 / std::sqrt(static_cast<double>(layer->weight.size(1)));
        layer->weight.uniform_(-bound, bound, generator);
        layer->bias.uniform_(-bound, bound, generator);
    }

    std::vector<torch::nn::Linear> layers_;
    torch::nn::Linear out_{nullptr};
};

class MlpModel final : public Model {
public:
    MlpModel(const MlpSpec& spec, uint64_t seed)
        : net_(std::make_shared<MlpNet>(spec)), classes_(spec.classes), input_shape_{1, 1, spec.features} {
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
    std::shared_ptr<MlpNet> net_;
    int64_t classes_;
    std::vector<int64_t> input_shape_;
};

}  // namespace

MlpSpec MlpSpec::from_args(SpecArgs& args) {
    MlpSpec spec;
    spec.features = args.take_int("in", 1, kMaxFeatures);
    spec.classes = args.take_int("classes", 2, 1 << 20);
    if (args.has("hidden")) {
        spec.hidden = args.take_int_list("hidden", 1, 8, 1, kMaxWidth);
    }
    args.finish();
    if (spec.parameter_count() > kMaxParameters) {
        invalid("model spec asks for " + std::to_string(spec.parameter_count()) + " parameters; the limit is " +
                std::to_string(kMaxParameters));
    }
    return spec;
}

int64_t MlpSpec::parameter_count() const {
    int64_t total = 0;
    int64_t in = features;
    for (int64_t width : hidden) {
        total += width * in + width;
        in = width;
    }
    return total + classes * in + classes;
}

std::unique_ptr<Model> make_mlp_model(const MlpSpec& spec, uint64_t seed) {
    return std::make_unique<MlpModel>(spec, seed);
}

}  // namespace fedtrain
