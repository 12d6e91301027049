#include "lm_model.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Functions.h>
#include <c10/core/GradMode.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include <limits>

#include "error.h"
#include "module_model.h"
#include "transformer_block.h"

namespace fedtrain {
namespace {

constexpr int64_t kMaxVocab = 1 << 20;
constexpr int64_t kMaxSeq = 1 << 16;
constexpr int64_t kMaxWidth = 8192;
constexpr int64_t kMaxDepth = 256;
constexpr int64_t kMaxParameters = int64_t{1} << 31;

class LmNet : public torch::nn::Module {
public:
    explicit LmNet(const LmSpec& spec) : vocab_(spec.vocab), seq_(spec.seq) {
        tok_embed_ = register_module("tok_embed", torch::nn::Embedding(spec.vocab, spec.dim));
        pos_embed_ = register_parameter("pos_embed", at::zeros({1, spec.seq, spec.dim}));
        blocks_ = register_module("blocks", torch::nn::ModuleList());
        for (int64_t i = 0; i < spec.depth; ++i) {
            blocks_->push_back(TransformerBlock(spec.dim, spec.heads, spec.mlp));
        }
        norm_ = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({spec.dim})));
        head_ = register_module("head", torch::nn::Linear(spec.dim, spec.vocab));
        // A buffer, not a parameter: it moves with the model but is neither trained nor sent.
        causal_mask_ = register_buffer(
            "causal_mask",
            at::full({spec.seq, spec.seq}, -std::numeric_limits<float>::infinity()).triu(1));
    }

    // windows [batch, 1, 1, seq + 1] of token ids as floats -> logits [batch * seq, vocab], targets [batch * seq].
    Prediction predict(const at::Tensor& windows) {
        at::Tensor ids = windows.reshape({windows.size(0), seq_ + 1});
        {
            c10::NoGradGuard no_grad;
            // The ids arrive as floats; anything but an integer in [0, vocab) is a data error, not a crash.
            double low = ids.min().item<double>(), high = ids.max().item<double>();
            if (low < 0 || high >= static_cast<double>(vocab_) || !ids.eq(ids.round()).all().item<bool>()) {
                invalid("lm: token ids must be whole numbers in [0, " + std::to_string(vocab_) + "), got values in [" +
                        std::to_string(low) + ", " + std::to_string(high) + "]");
            }
        }
        ids = ids.to(at::kLong);
        at::Tensor context = ids.narrow(1, 0, seq_);
        at::Tensor targets = ids.narrow(1, 1, seq_).reshape({-1});
        at::Tensor h = tok_embed_->forward(context) + pos_embed_;
        for (const auto& block : *blocks_) {
            h = block->as<TransformerBlockImpl>()->forward(h, causal_mask_);
        }
        at::Tensor logits = head_->forward(norm_->forward(h));
        return {logits.reshape({-1, vocab_}), targets};
    }

    void reset(at::Generator& generator) {
        c10::NoGradGuard no_grad;
        tok_embed_->weight.normal_(0.0, 0.02, generator);
        pos_embed_.normal_(0.0, 0.02, generator);
        for (const auto& block : *blocks_) {
            block->as<TransformerBlockImpl>()->reset(generator);
        }
        norm_->weight.fill_(1.0);
        norm_->bias.zero_();
        init_transformer_linear(head_, generator);
    }

private:
    int64_t vocab_;
    int64_t seq_;
    torch::nn::Embedding tok_embed_{nullptr};
    at::Tensor pos_embed_;
    torch::nn::ModuleList blocks_{nullptr};
    torch::nn::LayerNorm norm_{nullptr};
    torch::nn::Linear head_{nullptr};
    at::Tensor causal_mask_;
};

class LmModel final : public ModuleModel {
public:
    LmModel(std::shared_ptr<LmNet> net, const LmSpec& spec)
        : ModuleModel(net, spec.vocab, {1, 1, spec.seq + 1}), net_(std::move(net)) {}

    at::Tensor forward(const at::Tensor& input) override { return net_->predict(input).logits; }

    Prediction predict(const at::Tensor& input, const at::Tensor& /*labels*/) override {
        return net_->predict(input);
    }

    ClippedGradients add_clipped_gradients(const at::Tensor&, const at::Tensor&, double) override {
        invalid("DP-SGD is not supported for kind=lm: its examples are token windows, not labelled records");
    }

private:
    std::shared_ptr<LmNet> net_;
};

}  // namespace

LmSpec LmSpec::from_args(SpecArgs& args) {
    LmSpec spec;
    spec.vocab = args.take_int("vocab", 2, kMaxVocab);
    spec.seq = args.take_int("seq", 1, kMaxSeq);
    spec.dim = args.take_int("dim", 1, kMaxWidth);
    spec.depth = args.take_int("depth", 1, kMaxDepth);
    spec.heads = args.take_int("heads", 1, kMaxWidth);
    spec.mlp = args.take_int("mlp", 1, 4 * kMaxWidth);
    args.finish();
    if (spec.dim % spec.heads != 0) {
        invalid("lm: dim " + std::to_string(spec.dim) + " is not divisible by heads " + std::to_string(spec.heads));
    }
    if (spec.parameter_count() > kMaxParameters) {
        invalid("model spec asks for " + std::to_string(spec.parameter_count()) + " parameters; the limit is " +
                std::to_string(kMaxParameters));
    }
    return spec;
}

int64_t LmSpec::parameter_count() const {
    return vocab * dim + seq * dim + depth * transformer_block_parameter_count(dim, mlp) + 2 * dim + dim * vocab +
           vocab;
}

std::unique_ptr<Model> make_lm_model(const LmSpec& spec, uint64_t seed) {
    auto net = std::make_shared<LmNet>(spec);
    at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
    net->reset(generator);
    return std::make_unique<LmModel>(std::move(net), spec);
}

}  // namespace fedtrain
