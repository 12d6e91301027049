// kind=lm: a causal Transformer language model (GPT-style). Token embedding plus learned position embedding,
// `depth` pre-norm blocks whose self-attention sees only earlier positions, a final LayerNorm and a linear head
// over the vocabulary. An example is a window of seq + 1 token ids (stored as floats, input shape 1 x 1 x seq+1);
// the model predicts tokens 1..seq from those before each, so the loss is the mean next-token cross-entropy.
// Parameters, in buffer order: pos_embed, tok_embed.weight, blocks.N.*, norm.*, head.*.
#pragma once

#include <memory>

#include "model.h"
#include "spec_args.h"

namespace fedtrain {

struct LmSpec {
    int64_t vocab = 0;
    int64_t seq = 0;
    int64_t dim = 0;
    int64_t depth = 0;
    int64_t heads = 0;
    int64_t mlp = 0;

    // Takes vocab=, seq=, dim=, depth=, heads=, mlp= and checks the width splits evenly over the heads.
    static LmSpec from_args(SpecArgs& args);

    int64_t parameter_count() const;
};

std::unique_ptr<Model> make_lm_model(const LmSpec& spec, uint64_t seed);

}  // namespace fedtrain
