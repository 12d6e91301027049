#include "model_export.h"

#include <ATen/core/Dict.h>
#include <torch/serialize.h>

#include <cstdio>
#include <fstream>

#include "error.h"
#include "model.h"

namespace fedtrain {

std::vector<NamedTensor> Model::state_dict() const {
    std::vector<NamedTensor> tensors = parameters();
    for (NamedTensor& buffer : buffers()) {
        tensors.push_back(std::move(buffer));
    }
    return tensors;
}

void Model::save_torchscript(const std::string&) const {
    invalid("this model kind has no TorchScript form; export its state dict and the Python module instead");
}

void save_state_dict(const Model& model, const std::string& path) {
    c10::Dict<std::string, at::Tensor> dict;
    for (const NamedTensor& entry : model.state_dict()) {
        dict.insert(entry.name, entry.tensor.detach().cpu().clone());
    }
    std::vector<char> bytes = torch::pickle_save(c10::IValue(dict));
    // Written beside the target and renamed, so a failed export never leaves a truncated file under the real name.
    std::string temporary = path + ".tmp";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        if (!out) {
            std::remove(temporary.c_str());
            invalid("cannot write '" + temporary + "'");
        }
    }
    if (std::rename(temporary.c_str(), path.c_str()) != 0) {
        std::remove(temporary.c_str());
        invalid("cannot rename '" + temporary + "' to '" + path + "'");
    }
}

}  // namespace fedtrain
