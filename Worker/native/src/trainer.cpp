#include "trainer.h"

#include <ATen/Functions.h>
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>
#include <torch/cuda.h>

#include <sched.h>

#include <thread>

#include "caching_cpu_allocator.h"
#include "data_view.h"
#include "error.h"
#include "model.h"
#include "model_factory.h"

namespace fedtrain {
namespace {

int available_cpus() {
    // The affinity mask honours taskset and cgroup cpusets, unlike the machine's total CPU count.
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0) {
        return CPU_COUNT(&set);
    }
    return std::max(1u, std::thread::hardware_concurrency());
}

c10::Device parse_device(const std::string& text) {
    c10::Device device(c10::DeviceType::CPU);
    try {
        device = c10::Device(text);
    } catch (const c10::Error&) {
        fail(FT_E_DEVICE, "unknown device '" + text + "'; use cpu, cuda or cuda:N");
    }
    if (device.is_cpu()) {
        return device;
    }
    if (!device.is_cuda()) {
        fail(FT_E_DEVICE, "device '" + text + "' is not supported; use cpu, cuda or cuda:N");
    }
    if (!torch::cuda::is_available()) {
        fail(FT_E_DEVICE, "CUDA is not available (device '" + text +
                              "'): this libtorch build has no CUDA support or no GPU is visible; use cpu");
    }
    auto count = static_cast<int64_t>(torch::cuda::device_count());
    if (device.has_index() && device.index() >= count) {
        fail(FT_E_DEVICE, "device '" + text + "' does not exist; " + std::to_string(count) + " CUDA device(s) visible");
    }
    return device;
}

std::string build_manifest_json(const std::vector<NamedTensor>& parameters) {
    std::string json = "[";
    for (size_t i = 0; i < parameters.size(); ++i) {
        // Names are identifiers with dots; nothing in them needs JSON escaping.
        json += i == 0 ? "{\"name\":\"" : ",{\"name\":\"";
        json += parameters[i].name;
        json += "\",\"shape\":[";
        auto sizes = parameters[i].tensor.sizes();
        for (size_t d = 0; d < sizes.size(); ++d) {
            json += (d == 0 ? "" : ",") + std::to_string(sizes[d]);
        }
        json += "]}";
    }
    return json + "]";
}

}  // namespace

Trainer::Trainer(std::unique_ptr<Model> model, c10::Device device, int num_threads)
    : model_(std::move(model)), device_(device), num_threads_(num_threads > 0 ? num_threads : available_cpus()) {
    model_->to(device_);
    std::vector<NamedTensor> parameters = flat_tensors();
    for (const NamedTensor& p : parameters) {
        if (p.tensor.scalar_type() != at::kFloat) {
            fail(FT_E_INTERNAL, "parameter '" + p.name + "' is not float32");
        }
        info_.parameter_count += p.tensor.numel();
        shapes_.emplace_back(p.tensor.sizes().begin(), p.tensor.sizes().end());
    }
    const std::vector<int64_t>& shape = model_->input_shape();
    if (shape.size() > FT_MAX_INPUT_RANK) {
        fail(FT_E_INTERNAL, "model input rank exceeds FT_MAX_INPUT_RANK");
    }
    info_.example_numel = 1;
    for (size_t i = 0; i < shape.size(); ++i) {
        info_.input_shape[i] = shape[i];
        info_.example_numel *= shape[i];
    }
    info_.input_rank = static_cast<int32_t>(shape.size());
    info_.classes = static_cast<int32_t>(model_->classes());
    manifest_json_ = build_manifest_json(parameters);
}

Trainer::~Trainer() = default;

std::vector<NamedTensor> Trainer::flat_tensors() const {
    std::vector<NamedTensor> tensors = model_->parameters();
    for (NamedTensor& buffer : model_->buffers()) {
        tensors.push_back(std::move(buffer));
    }
    return tensors;
}

void Trainer::apply_threads() const {
    if (at::get_num_threads() != num_threads_) {
        at::set_num_threads(num_threads_);
    }
}

void Trainer::check_parameter_count(int64_t count) const {
    if (count != info_.parameter_count) {
        invalid("parameter buffer holds " + std::to_string(count) + " floats; the model has " +
                std::to_string(info_.parameter_count));
    }
}

void Trainer::require_parameters() const {
    if (!holds_parameters_) {
        invalid("the trainer holds no parameters since ft_evaluate_parameters; give it some with ft_set_parameters");
    }
}

void Trainer::get_parameters(float* out, int64_t count) const {
    check_parameter_count(count);
    require_parameters();
    at::Tensor flat = at::from_blob(out, {count}, at::kFloat);
    int64_t offset = 0;
    for (const NamedTensor& p : flat_tensors()) {
        int64_t numel = p.tensor.numel();
        flat.narrow(0, offset, numel).view(p.tensor.sizes()).copy_(p.tensor.detach());
        offset += numel;
    }
}

void Trainer::set_parameters(const float* in, int64_t count) {
    check_parameter_count(count);
    c10::NoGradGuard no_grad;  // parameters are autograd leaves; writing them is not part of any graph
    std::vector<NamedTensor> tensors = flat_tensors();
    if (!holds_parameters_) {
        for (size_t i = 0; i < tensors.size(); ++i) {
            tensors[i].tensor.set_(at::empty(shapes_[i], tensors[i].tensor.options()));
        }
        holds_parameters_ = true;
    }
    at::Tensor flat = at::from_blob(const_cast<float*>(in), {count}, at::kFloat);
    int64_t offset = 0;
    for (const NamedTensor& p : tensors) {
        int64_t numel = p.tensor.numel();
        p.tensor.copy_(flat.narrow(0, offset, numel).view(p.tensor.sizes()));
        offset += numel;
    }
}

void Trainer::check_data(const float* images, const int64_t* labels, int64_t n) const {
    if (n < 0) {
        invalid("example count must be >= 0, got " + std::to_string(n));
    }
    if (n > 0 && (images == nullptr || labels == nullptr)) {
        invalid("images and labels must not be null");
    }
    // One pass over the labels is cheap next to training and turns an out-of-range label into a clear error
    // instead of a failed gather deep inside the loss.
    for (int64_t i = 0; i < n; ++i) {
        if (labels[i] < 0 || labels[i] >= info_.classes) {
            invalid("label " + std::to_string(labels[i]) + " at index " + std::to_string(i) + " is outside [0, " +
                    std::to_string(info_.classes) + ")");
        }
    }
}

DataView view_data(const float* images, const int64_t* labels, int64_t n, const std::vector<int64_t>& input_shape,
                   c10::Device device) {
    std::vector<int64_t> shape{n};
    shape.insert(shape.end(), input_shape.begin(), input_shape.end());
    // from_blob never copies or frees; the tensors are only read.
    DataView view{at::from_blob(const_cast<float*>(images), shape, at::kFloat),
                  at::from_blob(const_cast<int64_t*>(labels), {n}, at::kLong)};
    if (!device.is_cpu()) {
        view.images = view.images.to(device);
        view.labels = view.labels.to(device);
    }
    return view;
}

std::unique_ptr<Trainer> create_trainer(const std::string& spec, const std::string& device, int32_t num_threads,
                                        uint64_t seed) {
    if (num_threads < 0) {
        invalid("thread count must be >= 0 (0 = all available CPUs), got " + std::to_string(num_threads));
    }
    c10::Device target = parse_device(device);
    install_caching_cpu_allocator();
    return std::make_unique<Trainer>(create_model(spec, seed), target, num_threads);
}

}  // namespace fedtrain
