// Writing a model in forms PyTorch reads: a state dict for torch.load, a TorchScript archive for torch.jit.load.
#pragma once

#include <string>

namespace fedtrain {

class Model;

// A dict of name -> tensor (CPU copies) written with torch::pickle_save, the zip format torch.load reads.
void save_state_dict(const Model& model, const std::string& path);

}  // namespace fedtrain
