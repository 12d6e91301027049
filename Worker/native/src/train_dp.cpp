// DP-SGD (Abadi et al. 2016) as the Sampled Gaussian Mechanism that privacy accountants analyse: Poisson batches
// at rate q = batch_size / n, each example's gradient clipped to clip_norm, Gaussian noise of std
// noise_multiplier * clip_norm on the sum, a fixed denominator (the expected batch size), then the optimizer.
#include <ATen/Functions.h>
#include <c10/core/GradMode.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>

#include "chacha20.h"
#include "data_view.h"
#include "dp_random.h"
#include "error.h"
#include "model.h"
#include "proximal_term.h"
#include "train_support.h"
#include "trainer.h"

namespace fedtrain {
namespace {

std::string number(double value) {
    char text[32];
    std::snprintf(text, sizeof(text), "%g", value);
    return text;
}

void validate_dp(const ft_dp_options& dp, const ft_train_options& options, int64_t n) {
    if (!std::isfinite(dp.clip_norm) || dp.clip_norm <= 0) {
        invalid("dp clip_norm must be a finite number > 0, got " + number(dp.clip_norm));
    }
    // Zero noise is only meaningful for tests comparing against plain SGD, so only a test seed unlocks it.
    bool test = dp.insecure_test_seed != 0;
    if (!std::isfinite(dp.noise_multiplier) || dp.noise_multiplier < 0 || (dp.noise_multiplier == 0 && !test)) {
        invalid("dp noise_multiplier must be a finite number > 0, got " + number(dp.noise_multiplier));
    }
    if (options.batch_size > n) {
        invalid("batch_size " + std::to_string(options.batch_size) + " exceeds the " + std::to_string(n) +
                " examples; DP-SGD samples each example with probability batch_size / n, which must be <= 1");
    }
}

void zero_grads(const std::vector<NamedTensor>& parameters) {
    for (const NamedTensor& p : parameters) {
        at::Tensor& grad = p.tensor.mutable_grad();
        if (grad.defined()) {
            grad.zero_();
        } else {
            grad = at::zeros_like(p.tensor);
        }
    }
}

}  // namespace

ft_train_result Trainer::train_dp(const float* images, const int64_t* labels, int64_t n,
                                  const ft_train_options& options, const ft_dp_options& dp,
                                  const volatile int32_t* cancel_flag, ft_dp_result& dp_result) {
    auto started = std::chrono::steady_clock::now();
    require_parameters();
    validate_train_options(options);
    check_data(images, labels, n);
    if (n == 0) {
        invalid("cannot train on 0 examples");
    }
    validate_dp(dp, options, n);
    apply_threads();

    DataView data = view_data(images, labels, n, model_->input_shape(), device_);
    std::vector<NamedTensor> parameters = model_->parameters();
    std::unique_ptr<torch::optim::Optimizer> optimizer = make_optimizer(parameters, options);
    // The proximal gradient depends on the parameters alone, never on the data, so adding it after the noise
    // is post-processing and leaves the privacy guarantee as it is.
    ProximalTerm proximal(parameters, options.proximal_mu);
    model_->set_training(true);

    const int64_t expected_batch = options.batch_size;
    // An epoch is n / batch_size steps in expectation; the count is fixed up front because the accountant needs it.
    const int64_t total_steps = options.local_steps > 0
                                    ? options.local_steps
                                    : (int64_t{options.local_epochs} * n + expected_batch - 1) / expected_batch;
    const bool check_every_step = device_.is_cpu();
    // Poisson batches vary in size; processing them in chunks of at most twice the expected size bounds memory
    // whatever is drawn (a chunk's examples are independent, so chunking does not change the sum).
    const int64_t chunk = std::min(2 * expected_batch, n);

    auto on_device = at::TensorOptions().device(device_);
    std::vector<int64_t> chunk_shape{chunk};
    chunk_shape.insert(chunk_shape.end(), model_->input_shape().begin(), model_->input_shape().end());
    at::Tensor chunk_images = at::empty(chunk_shape, on_device.dtype(at::kFloat));
    at::Tensor chunk_labels = at::empty({chunk}, on_device.dtype(at::kLong));
    at::Tensor loss_sum = at::zeros({}, on_device.dtype(at::kDouble));
    at::Tensor correct = at::zeros({}, on_device.dtype(at::kLong));

    // One stream for batches and noise: which examples were drawn must stay as secret as the noise, so options.seed
    // (known to the coordinator) plays no part.
    ChaCha20Stream stream = dp.insecure_test_seed != 0 ? ChaCha20Stream::from_insecure_seed(dp.insecure_test_seed)
                                                       : ChaCha20Stream::from_os();
    const double stddev = dp.noise_multiplier * dp.clip_norm;
    const double granularity = noise_granularity(stddev);
    std::vector<uint64_t> words;
    std::vector<int64_t> sampled;
    int64_t examples = 0;
    for (int64_t step = 0; step < total_steps; ++step) {
        if (cancel_flag != nullptr && *cancel_flag != 0) {
            fail(FT_E_CANCELLED, "training cancelled after " + std::to_string(step) + " of " +
                                     std::to_string(total_steps) + " steps");
        }
        poisson_sample(stream, n, expected_batch, words, sampled);
        zero_grads(parameters);
        const auto size = static_cast<int64_t>(sampled.size());
        for (int64_t begin = 0; begin < size; begin += chunk) {
            int64_t count = std::min(chunk, size - begin);
            at::Tensor index = at::from_blob(sampled.data() + begin, {count}, at::kLong);
            if (!device_.is_cpu()) {
                index = index.to(device_);
            }
            at::Tensor x = chunk_images.narrow(0, 0, count);
            at::Tensor y = chunk_labels.narrow(0, 0, count);
            at::index_select_out(x, data.images, 0, index);
            at::index_select_out(y, data.labels, 0, index);
            ClippedGradients clipped = model_->add_clipped_gradients(x, y, dp.clip_norm);

            c10::NoGradGuard no_grad;
            at::Tensor chunk_loss = clipped.losses.sum(at::kDouble);
            if (check_every_step && !std::isfinite(chunk_loss.item<double>())) {
                diverged(step, total_steps);  // before the update, so the parameters are left as they were
            }
            loss_sum.add_(chunk_loss);
            correct.add_(clipped.logits.argmax(1).eq(y).sum());
        }
        {
            // An empty batch still takes its noised step: the mechanism the accountant analyses always releases.
            c10::NoGradGuard no_grad;
            for (const NamedTensor& p : parameters) {
                add_rounded_gaussian(p.tensor.mutable_grad(), stddev, granularity,
                                     static_cast<double>(expected_batch), stream);
            }
        }
        proximal.add_gradient();
        optimizer->step();
        examples += size;
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
    if (examples > 0) {
        result.mean_loss = loss_total / static_cast<double>(examples);
        result.accuracy = static_cast<double>(correct.item<int64_t>()) / static_cast<double>(examples);
    }
    result.steps = total_steps;
    result.examples = examples;
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    dp_result = ft_dp_result{};
    dp_result.steps = total_steps;
    dp_result.sampling_rate = static_cast<double>(expected_batch) / static_cast<double>(n);
    dp_result.noise_multiplier = dp.noise_multiplier;
    dp_result.clip_norm = dp.clip_norm;
    dp_result.noise_granularity = granularity;
    dp_result.insecure_seeded = dp.insecure_test_seed != 0 ? 1 : 0;
    return result;
}

}  // namespace fedtrain
