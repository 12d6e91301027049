#include "vit_model.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Functions.h>
#include <c10/core/GradMode.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <cmath>

#include "error.h"
#include "module_model.h"
#include "transformer_block.h"

namespace fedtrain {
namespace {

constexpr int64_t kMaxSide = 8192;
constexpr int64_t kMaxWidth = 8192;
constexpr int64_t kMaxDepth = 256;
constexpr int64_t kMaxParameters = int64_t{1} << 31;

class VitNet : public torch::nn::Module {
public:
    explicit VitNet(const VitSpec& spec) : patch_(spec.patch) {
        cls_token_ = register_parameter("cls_token", at::zeros({1, 1, spec.dim}));
        pos_embed_ = register_parameter("pos_embed", at::zeros({1, spec.patches() + 1, spec.dim}));
        patch_embed_ = register_module(
            "patch_embed",
            torch::nn::Conv2d(torch::nn::Conv2dOptions(spec.channels, spec.dim, spec.patch).stride(spec.patch)));
        blocks_ = register_module("blocks", torch::nn::ModuleList());
        for (int64_t i = 0; i < spec.depth; ++i) {
            blocks_->push_back(TransformerBlock(spec.dim, spec.heads, spec.mlp));
        }
        norm_ = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({spec.dim})));
        head_ = register_module("head", torch::nn::Linear(spec.dim, spec.classes));
    }

    at::Tensor forward(const at::Tensor& input) {
        // [batch, C, H, W] -> [batch, dim, H/p, W/p] -> [batch, patches, dim]
        at::Tensor tokens = patch_embed_->forward(input).flatten(2).transpose(1, 2);
        at::Tensor cls = cls_token_.expand({input.size(0), 1, cls_token_.size(2)});
        at::Tensor h = at::cat({cls, tokens}, 1) + pos_embed_;
        at::Tensor no_mask;  // every patch attends to every other
        for (const auto& block : *blocks_) {
            h = block->as<TransformerBlockImpl>()->forward(h, no_mask);
        }
        return head_->forward(norm_->forward(h.select(1, 0)));
    }

    void reset(at::Generator& generator) {
        c10::NoGradGuard no_grad;
        pos_embed_.normal_(0.0, 0.02, generator);
        cls_token_.normal_(0.0, 0.02, generator);
        // The patch embedding is a linear map of each patch: PyTorch's default fan-in bound, as for the CNN.
        double bound = 1.0 / std::sqrt(static_cast<double>(patch_embed_->weight[0].numel()));
        patch_embed_->weight.uniform_(-bound, bound, generator);
        patch_embed_->bias.uniform_(-bound, bound, generator);
        for (const auto& block : *blocks_) {
            block->as<TransformerBlockImpl>()->reset(generator);
        }
        norm_->weight.fill_(1.0);
        norm_->bias.zero_();
        init_transformer_linear(head_, generator);
    }

private:
    int64_t patch_;
    at::Tensor cls_token_;
    at::Tensor pos_embed_;
    torch::nn::Conv2d patch_embed_{nullptr};
    torch::nn::ModuleList blocks_{nullptr};
    torch::nn::LayerNorm norm_{nullptr};
    torch::nn::Linear head_{nullptr};
};

class VitModel final : public ModuleModel {
public:
    VitModel(std::shared_ptr<VitNet> net, const VitSpec& spec)
        : ModuleModel(net, spec.classes, {spec.channels, spec.height, spec.width}), net_(std::move(net)) {}

    at::Tensor forward(const at::Tensor& input) override { return net_->forward(input); }

private:
    std::shared_ptr<VitNet> net_;
};

}  // namespace

VitSpec VitSpec::from_args(SpecArgs& args) {
    VitSpec spec;
    std::vector<int64_t> in = args.take_int_list("in", 3, 3, 1, kMaxSide);
    spec.channels = in[0];
    spec.height = in[1];
    spec.width = in[2];
    spec.classes = args.take_int("classes", 2, 1 << 20);
    spec.patch = args.take_int("patch", 1, kMaxSide);
    spec.dim = args.take_int("dim", 1, kMaxWidth);
    spec.depth = args.take_int("depth", 1, kMaxDepth);
    spec.heads = args.take_int("heads", 1, kMaxWidth);
    spec.mlp = args.take_int("mlp", 1, 4 * kMaxWidth);
    args.finish();

    if (spec.height % spec.patch != 0 || spec.width % spec.patch != 0) {
        invalid("vit: patch " + std::to_string(spec.patch) + " does not divide the " + std::to_string(spec.height) +
                "x" + std::to_string(spec.width) + " input");
    }
    if (spec.dim % spec.heads != 0) {
        invalid("vit: dim " + std::to_string(spec.dim) + " is not divisible by heads " + std::to_string(spec.heads));
    }
    if (spec.parameter_count() > kMaxParameters) {
        invalid("model spec asks for " + std::to_string(spec.parameter_count()) + " parameters; the limit is " +
                std::to_string(kMaxParameters));
    }
    return spec;
}

int64_t VitSpec::parameter_count() const {
    int64_t embed = dim + (patches() + 1) * dim + dim * channels * patch * patch + dim;
    return embed + depth * transformer_block_parameter_count(dim, mlp) + 2 * dim + dim * classes + classes;
}

std::unique_ptr<Model> make_vit_model(const VitSpec& spec, uint64_t seed) {
    auto net = std::make_shared<VitNet>(spec);
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
    net->reset(generator);
    return std::make_unique<VitModel>(std::move(net), spec);
}

}  // namespace fedtrain
