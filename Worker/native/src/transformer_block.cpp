#include "transformer_block.h"

#include <ATen/Functions.h>
#include <c10/core/GradMode.h>

#include <cmath>

namespace fedtrain {

SelfAttentionImpl::SelfAttentionImpl(int64_t dim, int64_t heads) : heads_(heads) {
    qkv = register_module("qkv", torch::nn::Linear(dim, 3 * dim));
    proj = register_module("proj", torch::nn::Linear(dim, dim));
}

at::Tensor SelfAttentionImpl::forward(const at::Tensor& x, const at::Tensor& mask) {
    const int64_t batch = x.size(0), tokens = x.size(1), dim = x.size(2);
    const int64_t head_dim = dim / heads_;
    // [batch, tokens, 3 * dim] -> 3 x [batch, heads, tokens, head_dim]
    at::Tensor qkv_heads = qkv->forward(x).view({batch, tokens, 3, heads_, head_dim}).permute({2, 0, 3, 1, 4});
    at::Tensor q = qkv_heads[0], k = qkv_heads[1], v = qkv_heads[2];
    at::Tensor scores = at::matmul(q, k.transpose(-2, -1)).mul_(1.0 / std::sqrt(static_cast<double>(head_dim)));
    if (mask.defined()) {
        scores.add_(mask);
    }
    at::Tensor mixed = at::matmul(at::softmax(scores, -1), v);  // [batch, heads, tokens, head_dim]
    return proj->forward(mixed.transpose(1, 2).reshape({batch, tokens, dim}));
}

MlpImpl::MlpImpl(int64_t dim, int64_t hidden) {
    fc1 = register_module("fc1", torch::nn::Linear(dim, hidden));
    fc2 = register_module("fc2", torch::nn::Linear(hidden, dim));
}

at::Tensor MlpImpl::forward(const at::Tensor& x) { return fc2->forward(at::gelu(fc1->forward(x))); }

TransformerBlockImpl::TransformerBlockImpl(int64_t dim, int64_t heads, int64_t mlp_hidden) {
    norm1_ = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})));
    attn_ = register_module("attn", SelfAttention(dim, heads));
    norm2_ = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})));
    mlp_ = register_module("mlp", Mlp(dim, mlp_hidden));
}

at::Tensor TransformerBlockImpl::forward(const at::Tensor& x, const at::Tensor& mask) {
    at::Tensor h = x + attn_->forward(norm1_->forward(x), mask);
    return h + mlp_->forward(norm2_->forward(h));
}

void TransformerBlockImpl::reset(at::Generator& generator) {
    c10::NoGradGuard no_grad;
    for (torch::nn::LayerNorm* norm : {&norm1_, &norm2_}) {
        (*norm)->weight.fill_(1.0);
        (*norm)->bias.zero_();
    }
    init_transformer_linear(attn_->qkv, generator);
    init_transformer_linear(attn_->proj, generator);
    init_transformer_linear(mlp_->fc1, generator);
    init_transformer_linear(mlp_->fc2, generator);
}

void init_transformer_linear(torch::nn::Linear& linear, at::Generator& generator) {
    c10::NoGradGuard no_grad;
    linear->weight.normal_(0.0, 0.02, generator);
    if (linear->bias.defined()) {
        linear->bias.zero_();
    }
}

int64_t transformer_block_parameter_count(int64_t dim, int64_t mlp_hidden) {
    int64_t norms = 2 * 2 * dim;
    int64_t attention = (dim * 3 * dim + 3 * dim) + (dim * dim + dim);
    int64_t mlp = (dim * mlp_hidden + mlp_hidden) + (mlp_hidden * dim + dim);
    return norms + attention + mlp;
}

}  // namespace fedtrain
