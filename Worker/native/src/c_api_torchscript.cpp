// The extern "C" functions added after the first ABI: TorchScript models, reproducible batch order, export and
// evaluation of borrowed parameters (the last block of fedtrain_trainer.h). Same contract as c_api.cpp: every
// exception becomes a status code.
#include "c_api_support.h"
#include "model.h"
#include "model_export.h"

using fedtrain::c_api::guarded;
using fedtrain::c_api::require;
using fedtrain::c_api::trainer;

extern "C" {

FT_API int ft_set_shuffle(ft_trainer* t, int32_t shuffle) {
    return guarded([&] {
        if (shuffle != 0 && shuffle != 1) {
            fedtrain::invalid("shuffle must be 0 or 1, got " + std::to_string(shuffle));
        }
        trainer(t).set_shuffle(shuffle == 1);
    });
}

FT_API int ft_logits(ft_trainer* t, const float* images, int64_t n, float* out, int64_t capacity) {
    return guarded([&] { trainer(t).logits(images, n, out, capacity); });
}

FT_API int ft_save_state_dict(ft_trainer* t, const char* path) {
    return guarded([&] {
        require(path, "path");
        fedtrain::save_state_dict(trainer(t).model(), path);
    });
}

FT_API int ft_save_torchscript(ft_trainer* t, const char* path) {
    return guarded([&] {
        require(path, "path");
        trainer(t).model().save_torchscript(path);
    });
}

FT_API int ft_evaluate_parameters(ft_trainer* t, const float* parameters, int64_t count, const float* images,
                                  const int64_t* labels, int64_t n, int32_t batch_size, int64_t* per_class_correct,
                                  int64_t* per_class_total, ft_eval_result* out) {
    return guarded([&] {
        require(parameters, "parameters");
        require(out, "out");
        *out = trainer(t).evaluate_parameters(parameters, count, images, labels, n, batch_size, per_class_correct,
                                              per_class_total);
    });
}

}  // extern "C"
