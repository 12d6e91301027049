#pragma once

#include <memory>
#include <string>

#include "model.h"

namespace fedtrain {

// Parses a spec string and builds the model it names; throws Error(FT_E_INVALID_ARGUMENT) on any mistake.
std::unique_ptr<Model> create_model(const std::string& spec, uint64_t seed);

}  // namespace fedtrain
