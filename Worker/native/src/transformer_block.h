// The pre-norm Transformer encoder block shared by the ViT and the language model:
//   x = x + attn(norm1(x));  x = x + mlp(norm2(x))
// with multi-head self-attention and a Linear -> GELU -> Linear MLP. Parameter names follow timm's ViT
// (norm1, attn.qkv, attn.proj, norm2, mlp.fc1, mlp.fc2) so a PyTorch port can load them by name.
#pragma once

#include <ATen/core/Generator.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <cstdint>

namespace fedtrain {

class SelfAttentionImpl : public torch::nn::Module {
public:
    SelfAttentionImpl(int64_t dim, int64_t heads);

    // x [batch, tokens, dim]; mask: additive [tokens, tokens] (e.g. -inf above the diagonal) or undefined.
    at::Tensor forward(const at::Tensor& x, const at::Tensor& mask);

    torch::nn::Linear qkv{nullptr};
    torch::nn::Linear proj{nullptr};

private:
    int64_t heads_;
};
TORCH_MODULE(SelfAttention);

class MlpImpl : public torch::nn::Module {
public:
    MlpImpl(int64_t dim, int64_t hidden);

    at::Tensor forward(const at::Tensor& x);

    torch::nn::Linear fc1{nullptr};
    torch::nn::Linear fc2{nullptr};
};
TORCH_MODULE(Mlp);

class TransformerBlockImpl : public torch::nn::Module {
public:
    TransformerBlockImpl(int64_t dim, int64_t heads, int64_t mlp_hidden);

    at::Tensor forward(const at::Tensor& x, const at::Tensor& mask);

    // Linear weights N(0, 0.02^2) as in ViT and GPT-2, biases 0, LayerNorm to identity; from a private generator.
    void reset(at::Generator& generator);

private:
    torch::nn::LayerNorm norm1_{nullptr};
    SelfAttention attn_{nullptr};
    torch::nn::LayerNorm norm2_{nullptr};
    Mlp mlp_{nullptr};
};
TORCH_MODULE(TransformerBlock);

// Linear weight N(0, 0.02^2) and zero bias, the Transformer initialisation used across the zoo.
void init_transformer_linear(torch::nn::Linear& linear, at::Generator& generator);

// Parameters of one block: 2 LayerNorms, qkv, proj and the MLP.
int64_t transformer_block_parameter_count(int64_t dim, int64_t mlp_hidden);

}  // namespace fedtrain
