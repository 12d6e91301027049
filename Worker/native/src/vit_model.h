// kind=vit: a Vision Transformer classifier (Dosovitskiy et al. 2021). Non-overlapping patch x patch patches are
// embedded by a strided convolution, a learned class token is prepended and learned position embeddings added,
// then `depth` pre-norm encoder blocks, a final LayerNorm and a linear head on the class token.
// Parameters: cls_token, pos_embed, patch_embed.{weight,bias}, blocks.N.*, norm.*, head.*.
#pragma once

#include <memory>

#include "model.h"
#include "spec_args.h"

namespace fedtrain {

struct VitSpec {
    int64_t channels = 0;
    int64_t height = 0;
    int64_t width = 0;
    int64_t classes = 0;
    int64_t patch = 0;
    int64_t dim = 0;
    int64_t depth = 0;
    int64_t heads = 0;
    int64_t mlp = 0;

    // Takes in=, classes=, patch=, dim=, depth=, heads=, mlp= and checks they fit together: the patch must
    // divide the image, the width must split evenly over the heads.
    static VitSpec from_args(SpecArgs& args);

    int64_t patches() const { return (height / patch) * (width / patch); }

    int64_t parameter_count() const;
};

std::unique_ptr<Model> make_vit_model(const VitSpec& spec, uint64_t seed);

}  // namespace fedtrain
