// kind=torchscript;module=PATH;in=C,H,W;classes=N: a module exported from PyTorch with torch.jit.script or
// torch.jit.trace, loaded through torch::jit. Its own weights are the initial parameters.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "model.h"
#include "spec_args.h"

namespace fedtrain {

struct TorchScriptSpec {
    std::string module_path;
    std::vector<int64_t> input_shape;  // one example: C, H, W
    int64_t classes = 0;

    // Takes module=, in= and classes=.
    static TorchScriptSpec from_args(SpecArgs& args);
};

// Loads the archive and checks that it fits the data: it has float32 parameters and maps a batch [2, C, H, W] to
// logits [2, classes]. Throws Error(FT_E_INVALID_ARGUMENT) with the reason otherwise.
std::unique_ptr<Model> make_torchscript_model(const TorchScriptSpec& spec);

}  // namespace fedtrain
