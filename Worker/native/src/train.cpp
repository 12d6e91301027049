#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Functions.h>

#include <chrono>
#include <cmath>

#include "data_view.h"
#include "error.h"
#include "model.h"
#include "proximal_term.h"
#include "train_support.h"
#include "trainer.h"

namespace fedtrain {

ft_train_result Trainer::train(const float* images, const int64_t* labels, int64_t n,
                               const ft_train_options& options, const volatile int32_t* cancel_flag) {
    require_parameters();
    validate_train_options(options);
    check_data(images, labels, n);
    if (n == 0) {
        invalid("cannot train on 0 examples");
    }
    apply_threads();
    DataView data = view_data(images, labels, n, model_->input_shape(), device_);
    return train_batches(n, options, cancel_flag, [&data](const at::Tensor& index, at::Tensor& x, at::Tensor& y) {
        at::index_select_out(x, data.images, 0, index);
        at::index_select_out(y, data.labels, 0, index);
    });
}

ft_train_result Trainer::train_streamed(ft_fill_fn fill, void* context, int64_t n, const ft_train_options& options,
                                        const volatile int32_t* cancel_flag) {
    require_parameters();
    validate_train_options(options);
    if (n <= 0) {
        invalid("cannot train on " + std::to_string(n) + " examples");
    }
    apply_threads();
    return train_batches(n, options, cancel_flag, streamed_gather(fill, context, n));
}

Trainer::Gather Trainer::streamed_gather(ft_fill_fn fill, void* context, int64_t n) const {
    if (fill == nullptr) {
        invalid("fill is null");
    }
    if (!device_.is_cpu()) {
        invalid("streamed data trains on the CPU only; load the data into memory for device " + device_.str());
    }
    return [fill, context, n](const at::Tensor& index, at::Tensor& x, at::Tensor& y) {
        at::Tensor indices = index.contiguous();
        const int64_t count = indices.size(0);
        if (fill(context, indices.data_ptr<int64_t>(), count, x.data_ptr<float>(), y.data_ptr<int64_t>()) != 0) {
            invalid("the caller's data source failed to fill a batch of " + std::to_string(count) + " of " +
                    std::to_string(n) + " examples");
        }
    };
}

ft_train_result Trainer::train_batches(int64_t n, const ft_train_options& options, const volatile int32_t* cancel_flag,
                                       const Gather& gather) {
    auto started = std::chrono::steady_clock::now();
    std::vector<NamedTensor> parameters = model_->parameters();
    std::unique_ptr<torch::optim::Optimizer> optimizer = make_optimizer(parameters, options);
    ProximalTerm proximal(parameters, options.proximal_mu);
    model_->set_training(true);

    const int64_t batch = std::min<int64_t>(options.batch_size, n);
    const int64_t steps_per_epoch = (n + batch - 1) / batch;
    const int64_t total_steps =
        options.local_steps > 0 ? options.local_steps : int64_t{options.local_epochs} * steps_per_epoch;
    const bool check_every_step = device_.is_cpu();

    // Batches are gathered into buffers allocated once; the last, partial batch uses a prefix of them.
    auto on_device = at::TensorOptions().device(device_);
    std::vector<int64_t> batch_shape{batch};
    batch_shape.insert(batch_shape.end(), model_->input_shape().begin(), model_->input_shape().end());
    at::Tensor batch_images = at::empty(batch_shape, on_device.dtype(at::kFloat));
    at::Tensor batch_labels = at::empty({batch}, on_device.dtype(at::kLong));
    // Running sums stay on the device and are read once at the end, so the loop never waits for the device.
    at::Tensor loss_sum = at::zeros({}, on_device.dtype(at::kDouble));
    at::Tensor correct = at::zeros({}, on_device.dtype(at::kLong));

    at::Generator shuffle = at::make_generator<at::CPUGeneratorImpl>(options.seed);
    at::Tensor order;
    int64_t examples = 0;
    int64_t targets = 0;  // rows scored: one per example for a classifier, seq per window for a language model
    for (int64_t step = 0; step < total_steps; ++step) {
        if (cancel_flag != nullptr && *cancel_flag != 0) {
            fail(FT_E_CANCELLED, "training cancelled after " + std::to_string(step) + " of " +
                                     std::to_string(total_steps) + " steps");
        }
        int64_t position = step % steps_per_epoch;
        if (position == 0) {
            order = shuffle_ ? at::randperm(n, shuffle, at::kLong) : at::arange(n, at::kLong);
            if (!device_.is_cpu()) {
                order = order.to(device_);
            }
        }
        int64_t begin = position * batch;
        int64_t size = std::min(batch, n - begin);
        at::Tensor index = order.narrow(0, begin, size);
        at::Tensor x = batch_images.narrow(0, 0, size);
        at::Tensor y = batch_labels.narrow(0, 0, size);
        gather(index, x, y);

        optimizer->zero_grad();
        Prediction prediction = model_->predict(x, y);
        at::Tensor loss = at::cross_entropy_loss(prediction.logits, prediction.targets);
        if (check_every_step && !std::isfinite(loss.item<double>())) {
            diverged(step, total_steps);  // before the update, so the parameters are left as they were
        }
        loss.backward();
        proximal.add_gradient();
        optimizer->step();

        {
            c10::NoGradGuard no_grad;
            loss_sum.add_(loss.detach(), size);
            correct.add_(prediction.logits.argmax(1).eq(prediction.targets).sum());
        }
        examples += size;
        targets += prediction.targets.size(0);
        if (!check_every_step && (step + 1) % kAcceleratorCheckInterval == 0 &&
            !std::isfinite(loss_sum.item<double>())) {
            diverged(step, total_steps);
        }
    }

    double loss_total = loss_sum.item<double>();
    if (!std::isfinite(loss_total)) {
        diverged(total_steps - 1, total_steps);
    }
    ft_train_result result{};
    result.mean_loss = loss_total / static_cast<double>(examples);
    result.accuracy = static_cast<double>(correct.item<int64_t>()) / static_cast<double>(targets);
    result.steps = total_steps;
    result.examples = examples;
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return result;
}

}  // namespace fedtrain
