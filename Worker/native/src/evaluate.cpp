#include <ATen/Functions.h>
#include <ATen/core/Reduction.h>
#include <c10/core/GradMode.h>
#include <c10/core/InferenceMode.h>
#include <c10/util/accumulate.h>

#include <functional>

#include "caching_cpu_allocator.h"
#include "data_view.h"
#include "error.h"
#include "model.h"
#include "trainer.h"

namespace fedtrain {

ft_eval_result Trainer::evaluate(const float* images, const int64_t* labels, int64_t n, int32_t batch_size,
                                 int64_t* per_class_correct, int64_t* per_class_total) {
    require_parameters();
    return score(images, labels, n, batch_size, per_class_correct, per_class_total);
}

ft_eval_result Trainer::evaluate_parameters(const float* parameters, int64_t count, const float* images,
                                            const int64_t* labels, int64_t n, int32_t batch_size,
                                            int64_t* per_class_correct, int64_t* per_class_total) {
    check_parameter_count(count);
    if (!device_.is_cpu()) {
        // A device model cannot read host memory in place.
        set_parameters(parameters, count);
        return score(images, labels, n, batch_size, per_class_correct, per_class_total);
    }
    std::vector<NamedTensor> tensors = flat_tensors();
    const bool gives_up_own_parameters = holds_parameters_;
    // Whatever happens, no tensor keeps pointing into the caller's buffer once the call returns.
    struct Unbind {
        std::vector<NamedTensor>& tensors;
        ~Unbind() {
            c10::NoGradGuard no_grad;
            for (NamedTensor& p : tensors) {
                p.tensor.set_(at::empty({0}, p.tensor.options()));
            }
        }
    } unbind{tensors};
    holds_parameters_ = false;
    {
        c10::NoGradGuard no_grad;  // re-pointing autograd leaves is not part of any graph
        at::Tensor flat = at::from_blob(const_cast<float*>(parameters), {count}, at::kFloat);
        int64_t offset = 0;
        for (size_t i = 0; i < tensors.size(); ++i) {
            int64_t numel = c10::multiply_integers(shapes_[i]);
            tensors[i].tensor.set_(flat.narrow(0, offset, numel).view(shapes_[i]));
            offset += numel;
        }
    }
    // The first time, the model's own parameters went to the allocator's cache just now: hand them back to the
    // system. Only then: the cache also holds the evaluation's working set, which would fault in afresh each round.
    if (gives_up_own_parameters) {
        release_cached_cpu_memory();
    }
    return score(images, labels, n, batch_size, per_class_correct, per_class_total);
}

ft_eval_result Trainer::score(const float* images, const int64_t* labels, int64_t n, int32_t batch_size,
                              int64_t* per_class_correct, int64_t* per_class_total) {
    if (batch_size <= 0) {
        invalid("batch size must be positive, got " + std::to_string(batch_size));
    }
    check_data(images, labels, n);
    if (n == 0) {
        return score_batches(0, batch_size, per_class_correct, per_class_total, {});
    }
    apply_threads();
    DataView data = view_data(images, labels, n, model_->input_shape(), device_);
    // Contiguous batches need no gather: each is a view of the caller's buffer on CPU.
    return score_batches(n, batch_size, per_class_correct, per_class_total,
                         [&data](int64_t begin, int64_t size, at::Tensor& x, at::Tensor& y) {
                             x = data.images.narrow(0, begin, size);
                             y = data.labels.narrow(0, begin, size);
                         });
}

ft_eval_result Trainer::evaluate_streamed(ft_fill_fn fill, void* context, int64_t n, int32_t batch_size,
                                          int64_t* per_class_correct, int64_t* per_class_total) {
    require_parameters();
    if (batch_size <= 0) {
        invalid("batch size must be positive, got " + std::to_string(batch_size));
    }
    if (n < 0) {
        invalid("n must be >= 0, got " + std::to_string(n));
    }
    apply_threads();
    Gather gather = streamed_gather(fill, context, n);
    const int64_t batch = std::max<int64_t>(1, std::min<int64_t>(batch_size, n));
    std::vector<int64_t> shape{batch};
    shape.insert(shape.end(), model_->input_shape().begin(), model_->input_shape().end());
    at::Tensor images = at::empty(shape, at::kFloat);
    at::Tensor labels = at::empty({batch}, at::kLong);
    return score_batches(n, batch_size, per_class_correct, per_class_total,
                         [&](int64_t begin, int64_t size, at::Tensor& x, at::Tensor& y) {
                             x = images.narrow(0, 0, size);
                             y = labels.narrow(0, 0, size);
                             gather(at::arange(begin, begin + size, at::kLong), x, y);
                         });
}

ft_eval_result Trainer::score_batches(
    int64_t n, int32_t batch_size, int64_t* per_class_correct, int64_t* per_class_total,
    const std::function<void(int64_t begin, int64_t size, at::Tensor& x, at::Tensor& y)>& next_batch) {
    const int64_t classes = info_.classes;
    ft_eval_result result{};
    if (n == 0) {
        for (int64_t c = 0; c < classes; ++c) {
            if (per_class_correct != nullptr) per_class_correct[c] = 0;
            if (per_class_total != nullptr) per_class_total[c] = 0;
        }
        return result;
    }

    // Inference mode: no autograd bookkeeping at all, and dropout/batch-norm style layers in eval behaviour.
    c10::InferenceMode inference;
    model_->set_training(false);
    const int64_t batch = std::min<int64_t>(batch_size, n);
    auto on_device = at::TensorOptions().device(device_);
    at::Tensor loss_sum = at::zeros({}, on_device.dtype(at::kDouble));
    at::Tensor correct = at::zeros({classes}, on_device.dtype(at::kLong));
    at::Tensor total = at::zeros({classes}, on_device.dtype(at::kLong));

    for (int64_t begin = 0; begin < n; begin += batch) {
        int64_t size = std::min(batch, n - begin);
        at::Tensor x;
        at::Tensor y;
        next_batch(begin, size, x, y);
        // Per class means per target: the label of a classifier's example, each next token of a language model's.
        Prediction prediction = model_->predict(x, y);
        const at::Tensor& targets = prediction.targets;
        loss_sum.add_(at::cross_entropy_loss(prediction.logits, targets, {}, at::Reduction::Sum));
        correct.index_add_(0, targets, prediction.logits.argmax(1).eq(targets).to(at::kLong));
        total.index_add_(0, targets, at::ones_like(targets));
    }

    at::Tensor correct_host = correct.cpu();
    const auto scored = static_cast<double>(total.sum().item<int64_t>());
    if (per_class_correct != nullptr) {
        at::from_blob(per_class_correct, {classes}, at::kLong).copy_(correct_host);
    }
    if (per_class_total != nullptr) {
        at::from_blob(per_class_total, {classes}, at::kLong).copy_(total);
    }
    result.mean_loss = loss_sum.item<double>() / scored;
    result.accuracy = static_cast<double>(correct_host.sum().item<int64_t>()) / scored;
    result.examples = n;
    return result;
}

}  // namespace fedtrain
