#include "torchscript_model.h"

#include <ATen/Functions.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/jit/runtime/graph_executor.h>
#include <torch/csrc/jit/serialization/import.h>

#include <sys/stat.h>

#include "error.h"

namespace fedtrain {
namespace {

constexpr int64_t kMaxSide = 8192;
constexpr int64_t kProbeBatch = 2;

std::string shape_text(at::IntArrayRef sizes) {
    std::string text = "[";
    for (size_t i = 0; i < sizes.size(); ++i) {
        text += (i == 0 ? "" : ", ") + std::to_string(sizes[i]);
    }
    return text + "]";
}

class TorchScriptModel final : public Model {
public:
    TorchScriptModel(torch::jit::Module module, const TorchScriptSpec& spec)
        : module_(std::move(module)), path_(spec.module_path), classes_(spec.classes), input_shape_(spec.input_shape) {}

    at::Tensor forward(const at::Tensor& input) override {
        // The interpreter without graph optimisations runs the module op by op, as PyTorch's eager mode does, so
        // training here reproduces training in PyTorch; the fusers and autodiff subgraphs would change rounding.
        torch::jit::GraphOptimizerEnabledGuard eager_like(false);
        c10::IValue output = module_.forward({input});
        if (!output.isTensor()) {
            invalid("TorchScript module '" + path_ + "' returned " + output.tagKind() + ", not a tensor of logits");
        }
        return output.toTensor();
    }

    std::vector<NamedTensor> parameters() const override {
        std::vector<NamedTensor> result;
        for (const auto& item : module_.named_parameters(/*recurse=*/true)) {
            result.push_back({item.name, item.value});
        }
        return result;
    }

    std::vector<NamedTensor> buffers() const override {
        std::vector<NamedTensor> result;
        for (const auto& item : module_.named_buffers(/*recurse=*/true)) {
            // Integer buffers (batch-norm's num_batches_tracked) are counters, not statistics: they stay local.
            if (item.value.scalar_type() == at::kFloat) {
                result.push_back({item.name, item.value});
            }
        }
        return result;
    }

    std::vector<NamedTensor> state_dict() const override {
        std::vector<NamedTensor> result = parameters();
        for (const auto& item : module_.named_buffers(/*recurse=*/true)) {
            result.push_back({item.name, item.value});
        }
        return result;
    }

    ClippedGradients add_clipped_gradients(const at::Tensor& input, const at::Tensor& labels,
                                           double clip_norm) override {
        // Buffers updated in training mode (running statistics) would carry the raw data out of DP-SGD unclipped
        // and unnoised, and batch statistics couple the examples of a batch.
        if (module_.named_buffers(/*recurse=*/true).size() > 0) {
            invalid("DP-SGD cannot train TorchScript module '" + path_ +
                    "': it has buffers (e.g. batch norm), whose updates DP-SGD does not protect");
        }
        return Model::add_clipped_gradients(input, labels, clip_norm);
    }

    void set_training(bool training) override { module_.train(training); }

    void to(c10::Device device) override { module_.to(device); }

    int64_t classes() const override { return classes_; }

    const std::vector<int64_t>& input_shape() const override { return input_shape_; }

    void save_torchscript(const std::string& path) const override { module_.save(path); }

private:
    torch::jit::Module module_;
    std::string path_;
    int64_t classes_;
    std::vector<int64_t> input_shape_;
};

torch::jit::Module load(const std::string& path) {
    struct stat info {};
    if (stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
        invalid("TorchScript module '" + path + "' does not exist or is not a file");
    }
    try {
        return torch::jit::load(path, c10::Device(c10::DeviceType::CPU));
    } catch (const c10::Error& e) {
        invalid("TorchScript module '" + path + "' cannot be loaded (save it with torch.jit.script(model).save(path)): " +
                e.what_without_backtrace());
    }
}

// One forward pass on zeros proves the module accepts the data's shape and returns one logit per class.
void probe(TorchScriptModel& model, const TorchScriptSpec& spec) {
    std::vector<int64_t> shape{kProbeBatch};
    shape.insert(shape.end(), spec.input_shape.begin(), spec.input_shape.end());
    at::Tensor output;
    try {
        c10::NoGradGuard no_grad;
        model.set_training(false);
        output = model.forward(at::zeros(shape, at::kFloat));
    } catch (const Error&) {
        throw;
    } catch (const c10::Error& e) {
        invalid("TorchScript module '" + spec.module_path + "' fails on a batch of shape " + shape_text(shape) + ": " +
                e.what_without_backtrace());
    } catch (const std::exception& e) {  // the interpreter's own errors (e.g. a raised exception in forward)
        invalid("TorchScript module '" + spec.module_path + "' fails on a batch of shape " + shape_text(shape) + ": " +
                e.what());
    }
    if (output.dim() != 2 || output.size(0) != kProbeBatch || output.size(1) != spec.classes ||
        output.scalar_type() != at::kFloat) {
        invalid("TorchScript module '" + spec.module_path + "' maps a batch of shape " + shape_text(shape) + " to " +
                shape_text(output.sizes()) + " " + std::string(c10::toString(output.scalar_type())) +
                "; the data has " + std::to_string(spec.classes) + " classes, so it must return float logits " +
                shape_text({kProbeBatch, spec.classes}));
    }
}

}  // namespace

TorchScriptSpec TorchScriptSpec::from_args(SpecArgs& args) {
    TorchScriptSpec spec;
    spec.module_path = args.take_string("module");
    spec.input_shape = args.take_int_list("in", 1, 3, 1, kMaxSide);
    spec.classes = args.take_int("classes", 2, 1 << 20);
    args.finish();
    return spec;
}

std::unique_ptr<Model> make_torchscript_model(const TorchScriptSpec& spec) {
    auto model = std::make_unique<TorchScriptModel>(load(spec.module_path), spec);
    std::vector<NamedTensor> parameters = model->parameters();
    if (parameters.empty()) {
        invalid("TorchScript module '" + spec.module_path + "' has no parameters to train");
    }
    for (const NamedTensor& p : parameters) {
        if (p.tensor.scalar_type() != at::kFloat) {
            invalid("TorchScript module '" + spec.module_path + "': parameter '" + p.name + "' is " +
                    std::string(c10::toString(p.tensor.scalar_type())) + "; only float32 models can be trained");
        }
        if (!p.tensor.requires_grad()) {
            // Frozen parameters would still travel and be averaged, but never change: almost surely a mistake.
            invalid("TorchScript module '" + spec.module_path + "': parameter '" + p.name +
                    "' does not require grad; export a module whose parameters are all trainable");
        }
    }
    probe(*model, spec);
    return model;
}

}  // namespace fedtrain
