/*
 * fedtrain_trainer: a coarse-grained C ABI over libtorch for federated workers.
 *
 * One call trains a whole round (K steps or E epochs) or evaluates a whole data set, so the cost of crossing
 * the boundary is paid once per round, never per step. Every function is noexcept: C++ exceptions are caught
 * and turned into a status code plus a message readable with ft_last_error() on the same thread.
 *
 * Threading: a trainer is not thread-safe; call it from one thread at a time. Distinct trainers may be used
 * from distinct threads, but libtorch's intra-op thread count is process-global (see ft_create).
 *
 * Memory: images and labels passed to ft_train/ft_evaluate are read in place (no copy on CPU) and must stay
 * valid and unchanged for the duration of the call. They must hold exactly n examples of the model's input
 * shape (ft_describe); the library cannot check buffer lengths it is not given.
 */
#ifndef FEDTRAIN_TRAINER_H
#define FEDTRAIN_TRAINER_H

#include <stdint.h>

#if defined(__GNUC__)
#define FT_API __attribute__((visibility("default")))
#else
#define FT_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Bumped whenever a signature or struct layout below changes. 2: ft_train_dp, ft_dp_options, ft_dp_result.
 * 3: ft_train_options.proximal_mu (FedProx), in what was padding, so the struct keeps its size; the TorchScript
 * and export block at the end (ft_set_shuffle, ft_logits, ft_save_state_dict, ft_save_torchscript).
 * 4: ft_evaluate_parameters. 5: ft_train_streamed, ft_evaluate_streamed, ft_fill_fn (data read lazily by the caller).
 */
#define FT_ABI_VERSION 5
#define FT_MAX_INPUT_RANK 4

typedef enum ft_status {
    FT_OK = 0,
    FT_E_INVALID_ARGUMENT = 1, /* bad spec string, null pointer, count mismatch, label out of range, ... */
    FT_E_BUFFER = 2,           /* output buffer too small; the required size was written */
    FT_E_CANCELLED = 3,        /* *cancel_flag was set; the model holds the steps taken so far */
    FT_E_DEVICE = 4,           /* device unknown or unavailable (e.g. CUDA on a CPU-only build) */
    FT_E_NONFINITE = 5,        /* training diverged: the loss became NaN or Inf */
    FT_E_INTERNAL = 6          /* anything else libtorch threw (message says what) */
} ft_status;

typedef struct ft_trainer ft_trainer;

typedef struct ft_train_options {
    int32_t local_epochs; /* full passes over the data; used when local_steps == 0 */
    int32_t local_steps;  /* > 0: exactly this many optimizer steps, cycling (reshuffled) epochs */
    int32_t batch_size;   /* examples per step; clamped to n */
    float learning_rate;
    int32_t optimizer;    /* 0 = SGD, 1 = Adam */
    float momentum;       /* SGD only, in [0, 1) */
    float weight_decay;   /* L2, >= 0 */
    /*
     * FedProx (Li et al. 2020): adds (proximal_mu / 2) * ||w - w_start||^2 to the loss, w_start being the
     * parameters at the start of the call (the global model). Finite and >= 0; 0 is plain local training.
     */
    float proximal_mu;
    uint64_t seed;        /* seeds the per-epoch shuffles */
} ft_train_options;

/*
 * Loss and accuracy are over the training batches seen, with the parameters as they were at each step. The loss
 * is the data loss alone (no proximal term). For a language model (kind=lm) they are per predicted token.
 */
typedef struct ft_train_result {
    double mean_loss;
    double accuracy;
    int64_t steps;
    int64_t examples;
    double seconds;
} ft_train_result;

/*
 * Record-level differential privacy for ft_train_dp (DP-SGD, Abadi et al. 2016). Each step draws a Poisson batch
 * (every example independently with probability q = batch_size / n), clips each example's gradient, flat over
 * all parameters, to L2 norm clip_norm, sums, adds N(0, (noise_multiplier * clip_norm)^2) to every coordinate,
 * rounds the noised sum to a fine grid, divides by the expected batch size and steps the optimizer.
 */
typedef struct ft_dp_options {
    double clip_norm;        /* C: bound on each example's gradient norm; finite and > 0 */
    double noise_multiplier; /* sigma: noise std is sigma * C on the sum; finite and > 0 */
    /*
     * TESTS ONLY: leave 0. Zero draws batches and noise from a ChaCha20 stream keyed from the operating system
     * (getrandom). Nonzero keys the stream with this value instead, so runs are reproducible and NOT private,
     * and also allows noise_multiplier == 0; ft_dp_result.insecure_seeded then reports 1.
     */
    uint64_t insecure_test_seed;
} ft_dp_options;

/* What a privacy accountant needs about an ft_train_dp round: the SGM at rate q and noise sigma, `steps` times. */
typedef struct ft_dp_result {
    int64_t steps;            /* noised optimizer steps taken */
    double sampling_rate;     /* q = batch_size / n, each example's inclusion probability per step */
    double noise_multiplier;  /* sigma, as applied */
    double clip_norm;         /* C, as applied */
    double noise_granularity; /* grid the noised sums were rounded to (a power of two near sigma*C/4096) */
    int32_t insecure_seeded;  /* 1 when insecure_test_seed was set: the round is not private */
    int32_t reserved;         /* 0 */
} ft_dp_result;

typedef struct ft_eval_result {
    double mean_loss;
    double accuracy;
    int64_t examples;
} ft_eval_result;

typedef struct ft_model_info {
    int64_t parameter_count;                 /* float32 elements in the flat parameter buffer */
    int64_t example_numel;                   /* float32 elements per input example (C*H*W) */
    int32_t classes;                         /* labels must lie in [0, classes) */
    int32_t input_rank;                      /* dimensions of one example, e.g. 3 for C,H,W */
    int64_t input_shape[FT_MAX_INPUT_RANK];  /* first input_rank entries are valid */
} ft_model_info;

/* FT_ABI_VERSION of the loaded library, so a binding can refuse a mismatched build. */
FT_API int32_t ft_abi_version(void);

/* Message of the last failed call on this thread ("" if none); valid until the next call on this thread. */
FT_API const char* ft_last_error(void);

/*
 * Builds a model from a spec string and initialises it from seed. Kinds:
 *   kind=cnn;in=1,28,28;classes=10;conv=32,64;hidden=128
 *   kind=vit;in=1,28,28;classes=10;patch=7;dim=64;depth=2;heads=4;mlp=128   (Vision Transformer)
 *   kind=lm;vocab=256;seq=64;dim=64;depth=2;heads=4;mlp=256                (causal Transformer language model)
 *   kind=mlp;in=8;hidden=64,64;classes=3                                   (tabular: rows of 8 features; hidden optional)
 * A language model's "example" is a window of seq + 1 token ids stored as floats, input shape 1 x 1 x (seq + 1);
 * it predicts tokens 1..seq from the tokens before each, so its labels are not used (they must still lie in
 * [0, classes), classes being the vocabulary) and accuracy is next-token accuracy. Per-class counts of
 * ft_evaluate are then per target token. Parameters are initialised from seed (independently of torch's global
 * generator, so it is reproducible per trainer).
 * device: "cpu", "cuda" or "cuda:N". num_threads: intra-op threads, 0 = the CPUs this process may use.
 * libtorch's thread count is process-global; each trainer reapplies its own at the start of every call.
 */
FT_API int ft_create(const char* spec, const char* device, int32_t num_threads, uint64_t seed, ft_trainer** out);

/* Frees the trainer; null is ignored. */
FT_API void ft_destroy(ft_trainer* t);

FT_API int ft_parameter_count(ft_trainer* t, int64_t* out);

FT_API int ft_describe(ft_trainer* t, ft_model_info* out);

/*
 * Writes the manifest as UTF-8 JSON, [{"name":"conv0.weight","shape":[32,1,3,3]}, ...] in flat-buffer order,
 * NUL-terminated. *required receives the size in bytes including the NUL; when capacity is smaller (a null
 * buffer with capacity 0 is a size query) nothing is written and FT_E_BUFFER is returned.
 */
FT_API int ft_manifest_json(ft_trainer* t, char* buffer, int64_t capacity, int64_t* required);

/* Copies every parameter, in manifest order, into one flat float32 buffer; count must equal the parameter count. */
FT_API int ft_get_parameters(ft_trainer* t, float* out, int64_t count);

FT_API int ft_set_parameters(ft_trainer* t, const float* in, int64_t count);

/*
 * Trains in place with a fresh optimizer (no optimizer state survives between calls, as FedAvg expects).
 * images: n examples of the input shape, contiguous float32; labels: n int64 in [0, classes).
 * cancel_flag (nullable) is polled before every step; when it is nonzero the call returns FT_E_CANCELLED.
 */
FT_API int ft_train(ft_trainer* t, const float* images, const int64_t* labels, int64_t n,
                    const ft_train_options* options, const volatile int32_t* cancel_flag, ft_train_result* out);

/*
 * Trains in place with DP-SGD (see ft_dp_options) and a fresh optimizer over the noised gradient.
 * options: batch_size is the expected batch size and must not exceed n; local_steps > 0 takes exactly that many
 * steps, otherwise local_epochs takes ceil(local_epochs * n / batch_size); seed is not used (batches must stay
 * secret, so they come from the same stream as the noise). out reports the loss, accuracy and example count of
 * the sampled batches, which are NOT differentially private; dp_out reports what the accountant needs.
 * Errors, cancellation and divergence behave as in ft_train; out and dp_out are written only on success.
 */
FT_API int ft_train_dp(ft_trainer* t, const float* images, const int64_t* labels, int64_t n,
                       const ft_train_options* options, const ft_dp_options* dp, const volatile int32_t* cancel_flag,
                       ft_train_result* out, ft_dp_result* dp_out);

/*
 * Evaluates in inference mode over contiguous batches. per_class_correct and per_class_total (each nullable)
 * receive `classes` counts indexed by label. n == 0 yields zeros.
 */
FT_API int ft_evaluate(ft_trainer* t, const float* images, const int64_t* labels, int64_t n, int32_t batch_size,
                       int64_t* per_class_correct, int64_t* per_class_total, ft_eval_result* out);

/* ==== TorchScript models, deterministic batch order and export ====================================================
 * Additive: nothing above changed. A library built before these existed lacks the symbols, which a binding can
 * detect by looking them up.
 *
 * kind=torchscript;module=PATH;in=C,H,W;classes=N builds the model from a TorchScript archive saved by PyTorch
 * (torch.jit.script or torch.jit.trace, then .save). The archive's own weights are the initial parameters (the seed
 * is not used). The flat buffer holds its named_parameters, then its floating-point named_buffers (e.g. batch-norm
 * running statistics), which are averaged like parameters but never trained by the optimizer. ft_create refuses an
 * archive that does not load, has no float32 parameters, or does not map a batch [2, C, H, W] to logits [2, N].
 */

/* 1 (the default): ft_train reshuffles the examples every epoch. 0: it takes them in the order given, batch after
 * batch, wrapping around at the end; for reproducing a training run step by step elsewhere. */
FT_API int ft_set_shuffle(ft_trainer* t, int32_t shuffle);

/* Logits of n examples in inference mode, row-major [n, classes] float32 into out; capacity is in floats and must be
 * at least n * classes. */
FT_API int ft_logits(ft_trainer* t, const float* images, int64_t n, float* out, int64_t capacity);

/* Writes the model's state dict (parameters and buffers by their PyTorch names) with torch::pickle_save: a file
 * Python's torch.load reads as a dict of tensors. */
FT_API int ft_save_state_dict(ft_trainer* t, const char* path);

/* kind=torchscript only: writes the TorchScript module with the current weights (torch.jit.load reads it). */
FT_API int ft_save_torchscript(ft_trainer* t, const char* path);

/* Evaluates like ft_evaluate, but the model reads its parameters from `parameters` (count floats, laid out as for
 * ft_set_parameters) in place for the duration of the call instead of holding a copy; for a coordinator that
 * already keeps the model it scores. On CPU the trainer gives its own parameter memory back and holds no
 * parameters afterwards: until the next ft_set_parameters, ft_get_parameters, ft_train, ft_train_dp, ft_evaluate,
 * ft_logits and the exports fail with FT_E_INVALID_ARGUMENT. On a CUDA device the parameters are copied as by
 * ft_set_parameters, and kept. */
FT_API int ft_evaluate_parameters(ft_trainer* t, const float* parameters, int64_t count, const float* images,
                                  const int64_t* labels, int64_t n, int32_t batch_size, int64_t* per_class_correct,
                                  int64_t* per_class_total, ft_eval_result* out);

/*
 * Data the caller reads lazily (an image folder larger than memory): instead of a buffer of n examples, the trainer
 * asks for each batch. fill writes the examples at `indices` (count of them, each in [0, n)) into `images`
 * (count x the input shape, float32) and their labels into `labels`, and returns 0, or nonzero to stop the call
 * with FT_E_INVALID_ARGUMENT (the caller keeps its own reason). It is called on the thread that called
 * ft_train_streamed/ft_evaluate_streamed, one batch at a time. CPU trainers only; not for DP-SGD.
 */
typedef int32_t (*ft_fill_fn)(void* context, const int64_t* indices, int64_t count, float* images, int64_t* labels);

/* ft_train over n examples that fill supplies batch by batch (same options, shuffling, results and errors). */
FT_API int ft_train_streamed(ft_trainer* t, ft_fill_fn fill, void* context, int64_t n, const ft_train_options* options,
                             const volatile int32_t* cancel_flag, ft_train_result* out);

/* ft_evaluate over n examples that fill supplies in order, batch_size at a time. */
FT_API int ft_evaluate_streamed(ft_trainer* t, ft_fill_fn fill, void* context, int64_t n, int32_t batch_size,
                                int64_t* per_class_correct, int64_t* per_class_total, ft_eval_result* out);

#ifdef __cplusplus
}
#endif

#endif /* FEDTRAIN_TRAINER_H */
