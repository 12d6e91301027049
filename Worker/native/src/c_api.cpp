// The extern "C" surface: argument checks for what C cannot express, and the one place where every C++
// exception becomes a status code, so nothing ever unwinds into the caller.
#include <c10/util/Exception.h>

#include <new>
#include <string>

#include "c_api_support.h"
#include "error.h"
#include "fedtrain_trainer.h"
#include "trainer.h"

using fedtrain::c_api::guarded;
using fedtrain::c_api::require;
using fedtrain::c_api::t_last_error;
using fedtrain::c_api::trainer;

extern "C" {

FT_API int32_t ft_abi_version(void) { return FT_ABI_VERSION; }

FT_API const char* ft_last_error(void) { return t_last_error.c_str(); }

FT_API int ft_create(const char* spec, const char* device, int32_t num_threads, uint64_t seed, ft_trainer** out) {
    return guarded([&] {
        require(out, "out");
        *out = nullptr;
        require(spec, "spec");
        require(device, "device");
        auto t = std::make_unique<ft_trainer>();
        t->impl = fedtrain::create_trainer(spec, device, num_threads, seed);
        *out = t.release();
    });
}

FT_API void ft_destroy(ft_trainer* t) {
    guarded([&] { delete t; });
}

FT_API int ft_parameter_count(ft_trainer* t, int64_t* out) {
    return guarded([&] {
        require(out, "out");
        *out = trainer(t).info().parameter_count;
    });
}

FT_API int ft_describe(ft_trainer* t, ft_model_info* out) {
    return guarded([&] {
        require(out, "out");
        *out = trainer(t).info();
    });
}

FT_API int ft_manifest_json(ft_trainer* t, char* buffer, int64_t capacity, int64_t* required) {
    return guarded([&] {
        require(required, "required");
        const std::string& json = trainer(t).manifest_json();
        auto size = static_cast<int64_t>(json.size()) + 1;
        *required = size;
        if (buffer == nullptr || capacity < size) {
            fedtrain::fail(FT_E_BUFFER, "manifest needs " + std::to_string(size) + " bytes, buffer has " +
                                            std::to_string(buffer == nullptr ? 0 : capacity));
        }
        json.copy(buffer, json.size());
        buffer[json.size()] = '\0';
    });
}

FT_API int ft_get_parameters(ft_trainer* t, float* out, int64_t count) {
    return guarded([&] {
        require(out, "out");
        trainer(t).get_parameters(out, count);
    });
}

FT_API int ft_set_parameters(ft_trainer* t, const float* in, int64_t count) {
    return guarded([&] {
        require(in, "in");
        trainer(t).set_parameters(in, count);
    });
}

FT_API int ft_train(ft_trainer* t, const float* images, const int64_t* labels, int64_t n,
                    const ft_train_options* options, const volatile int32_t* cancel_flag, ft_train_result* out) {
    return guarded([&] {
        require(options, "options");
        require(out, "out");
        *out = trainer(t).train(images, labels, n, *options, cancel_flag);
    });
}

FT_API int ft_train_dp(ft_trainer* t, const float* images, const int64_t* labels, int64_t n,
                       const ft_train_options* options, const ft_dp_options* dp, const volatile int32_t* cancel_flag,
                       ft_train_result* out, ft_dp_result* dp_out) {
    return guarded([&] {
        require(options, "options");
        require(dp, "dp");
        require(out, "out");
        require(dp_out, "dp_out");
        ft_dp_result dp_result{};
        *out = trainer(t).train_dp(images, labels, n, *options, *dp, cancel_flag, dp_result);
        *dp_out = dp_result;
    });
}

FT_API int ft_evaluate(ft_trainer* t, const float* images, const int64_t* labels, int64_t n, int32_t batch_size,
                       int64_t* per_class_correct, int64_t* per_class_total, ft_eval_result* out) {
    return guarded([&] {
        require(out, "out");
        *out = trainer(t).evaluate(images, labels, n, batch_size, per_class_correct, per_class_total);
    });
}

FT_API int ft_train_streamed(ft_trainer* t, ft_fill_fn fill, void* context, int64_t n, const ft_train_options* options,
                             const volatile int32_t* cancel_flag, ft_train_result* out) {
    return guarded([&] {
        require(options, "options");
        require(out, "out");
        *out = trainer(t).train_streamed(fill, context, n, *options, cancel_flag);
    });
}

FT_API int ft_evaluate_streamed(ft_trainer* t, ft_fill_fn fill, void* context, int64_t n, int32_t batch_size,
                                int64_t* per_class_correct, int64_t* per_class_total, ft_eval_result* out) {
    return guarded([&] {
        require(out, "out");
        *out = trainer(t).evaluate_streamed(fill, context, n, batch_size, per_class_correct, per_class_total);
    });
}

}  // extern "C"

static_assert(sizeof(ft_train_options) == 40, "ft_train_options layout is part of the ABI");
static_assert(sizeof(ft_train_result) == 40, "ft_train_result layout is part of the ABI");
static_assert(sizeof(ft_dp_options) == 24, "ft_dp_options layout is part of the ABI");
static_assert(sizeof(ft_dp_result) == 48, "ft_dp_result layout is part of the ABI");
static_assert(sizeof(ft_eval_result) == 24, "ft_eval_result layout is part of the ABI");
static_assert(sizeof(ft_model_info) == 56, "ft_model_info layout is part of the ABI");
