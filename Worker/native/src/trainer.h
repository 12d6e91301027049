// One model on one device plus the round-level operations the C ABI exposes. Not thread-safe.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fedtrain_trainer.h"

namespace fedtrain {

class Model;
struct NamedTensor;

class Trainer {
public:
    Trainer(std::unique_ptr<Model> model, c10::Device device, int num_threads);
    ~Trainer();
    Trainer(const Trainer&) = delete;
    Trainer& operator=(const Trainer&) = delete;

    const ft_model_info& info() const noexcept { return info_; }

    const std::string& manifest_json() const noexcept { return manifest_json_; }

    void get_parameters(float* out, int64_t count) const;
    void set_parameters(const float* in, int64_t count);

    // Throws Error(FT_E_CANCELLED) or Error(FT_E_NONFINITE) mid-round; the model then keeps the steps taken.
    ft_train_result train(const float* images, const int64_t* labels, int64_t n, const ft_train_options& options,
                          const volatile int32_t* cancel_flag);

    // ft_train_streamed: train() over examples the caller supplies batch by batch through fill.
    ft_train_result train_streamed(ft_fill_fn fill, void* context, int64_t n, const ft_train_options& options,
                                   const volatile int32_t* cancel_flag);

    // ft_evaluate_streamed: evaluate() over examples the caller supplies batch by batch, in order.
    ft_eval_result evaluate_streamed(ft_fill_fn fill, void* context, int64_t n, int32_t batch_size,
                                     int64_t* per_class_correct, int64_t* per_class_total);

    // DP-SGD (ft_train_dp); throws like train(). dp_result is written on success.
    ft_train_result train_dp(const float* images, const int64_t* labels, int64_t n, const ft_train_options& options,
                             const ft_dp_options& dp, const volatile int32_t* cancel_flag, ft_dp_result& dp_result);

    ft_eval_result evaluate(const float* images, const int64_t* labels, int64_t n, int32_t batch_size,
                            int64_t* per_class_correct, int64_t* per_class_total);

    // ft_evaluate_parameters: evaluate() with the parameters read in place from the caller's buffer. On CPU the
    // trainer's own parameter memory is given back, and it holds no parameters until set_parameters.
    ft_eval_result evaluate_parameters(const float* parameters, int64_t count, const float* images,
                                       const int64_t* labels, int64_t n, int32_t batch_size,
                                       int64_t* per_class_correct, int64_t* per_class_total);

    // ft_set_shuffle: false makes train() take the examples in the order given, wrapping around.
    void set_shuffle(bool shuffle) noexcept { shuffle_ = shuffle; }

    // ft_logits: row-major [n, classes] logits in inference mode (logits.cpp).
    void logits(const float* images, int64_t n, float* out, int64_t capacity);

    const Model& model() const {
        require_parameters();
        return *model_;
    }

private:
    // libtorch's OpenMP thread count is per calling thread once initialised, and the process-wide default is
    // shared by every trainer, so each call reapplies this trainer's setting on whatever thread it runs on.
    void apply_threads() const;

    void check_data(const float* images, const int64_t* labels, int64_t n) const;
    void check_parameter_count(int64_t count) const;
    // Throws FT_E_INVALID_ARGUMENT after evaluate_parameters, until set_parameters gives the model parameters again.
    void require_parameters() const;
    ft_eval_result score(const float* images, const int64_t* labels, int64_t n, int32_t batch_size,
                         int64_t* per_class_correct, int64_t* per_class_total);

    // Writes the examples at index (a [size] int64 tensor) into x and y ([size, input...] and [size]).
    using Gather = std::function<void(const at::Tensor& index, at::Tensor& x, at::Tensor& y)>;
    // The training loop shared by train() and train_streamed(): n examples, each batch fetched by gather.
    ft_train_result train_batches(int64_t n, const ft_train_options& options, const volatile int32_t* cancel_flag,
                                  const Gather& gather);
    // The scoring loop shared by score() and evaluate_streamed(): batches of examples [begin, begin + size).
    ft_eval_result score_batches(int64_t n, int32_t batch_size, int64_t* per_class_correct, int64_t* per_class_total,
                                 const std::function<void(int64_t begin, int64_t size, at::Tensor& x, at::Tensor& y)>& batch);
    // A gather that asks the caller's fill for each batch (CPU only).
    Gather streamed_gather(ft_fill_fn fill, void* context, int64_t n) const;

    // The flat buffer's tensors in order: the parameters, then the model's float buffers.
    std::vector<NamedTensor> flat_tensors() const;

    std::unique_ptr<Model> model_;
    c10::Device device_;
    int num_threads_;
    ft_model_info info_{};
    std::string manifest_json_;
    // Shapes of flat_tensors(), kept because the tensors are emptied while the model holds no parameters.
    std::vector<std::vector<int64_t>> shapes_;
    bool holds_parameters_ = true;
    bool shuffle_ = true;
};

// Parses spec and device, checks the device is usable and builds the trainer.
std::unique_ptr<Trainer> create_trainer(const std::string& spec, const std::string& device, int32_t num_threads,
                                        uint64_t seed);

}  // namespace fedtrain
