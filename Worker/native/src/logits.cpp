#include <ATen/Functions.h>
#include <c10/core/InferenceMode.h>

#include "data_view.h"
#include "error.h"
#include "model.h"
#include "trainer.h"

namespace fedtrain {

void Trainer::logits(const float* images, int64_t n, float* out, int64_t capacity) {
    require_parameters();
    if (n < 0) {
        invalid("example count must be >= 0, got " + std::to_string(n));
    }
    if (capacity < n * info_.classes) {
        invalid("logit buffer holds " + std::to_string(capacity) + " floats; " + std::to_string(n) + " examples need " +
                std::to_string(n * info_.classes));
    }
    if (n == 0) {
        return;
    }
    if (images == nullptr || out == nullptr) {
        invalid("images and out must not be null");
    }
    apply_threads();
    c10::InferenceMode inference;
    model_->set_training(false);
    std::vector<int64_t> shape{n};
    shape.insert(shape.end(), model_->input_shape().begin(), model_->input_shape().end());
    at::Tensor input = at::from_blob(const_cast<float*>(images), shape, at::kFloat).to(device_);
    at::Tensor result = model_->forward(input).to(at::kCPU, at::kFloat).contiguous();
    at::from_blob(out, {n, info_.classes}, at::kFloat).copy_(result);
}

}  // namespace fedtrain
