#include "model_factory.h"

#include "cnn_model.h"
#include "error.h"
#include "lm_model.h"
#include "mlp_model.h"
#include "spec_args.h"
#include "torchscript_model.h"
#include "vit_model.h"

namespace fedtrain {

std::unique_ptr<Model> create_model(const std::string& spec, uint64_t seed) {
    SpecArgs args = SpecArgs::parse(spec);
    if (args.kind() == "cnn") {
        return make_cnn_model(CnnSpec::from_args(args), seed);
    }
    if (args.kind() == "vit") {
        return make_vit_model(VitSpec::from_args(args), seed);
    }
    if (args.kind() == "mlp") {
        return make_mlp_model(MlpSpec::from_args(args), seed);
    }
    if (args.kind() == "lm") {
        return make_lm_model(LmSpec::from_args(args), seed);
    }
    if (args.kind() == "torchscript") {
        return make_torchscript_model(TorchScriptSpec::from_args(args));  // initial weights come from the file
    }
    invalid("unknown model kind '" + args.kind() + "'; known kinds: cnn, vit, mlp, lm, torchscript");
}

}  // namespace fedtrain
