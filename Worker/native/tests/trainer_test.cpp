// Exercises the library through its C header only: create, manifest, parameters, train, evaluate and the error
// paths. Plain checks (not assert, which Release builds compile out); exit code 1 on any failure.
#include "abi_test_support.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

using namespace fedtrain_test;

void test_create_errors() {
    ft_trainer* t = reinterpret_cast<ft_trainer*>(1);
    CHECK(ft_create("kind=rnn;in=1,28,28", "cpu", 1, 1, &t) == FT_E_INVALID_ARGUMENT);
    CHECK(t == nullptr);
    CHECK(error_contains("unknown model kind 'rnn'"));
    CHECK(ft_create("kind=cnn;in=1,28,28;classes=10;conv=4;colour=red", "cpu", 1, 1, &t) == FT_E_INVALID_ARGUMENT);
    CHECK(error_contains("unknown key 'colour'"));
    CHECK(ft_create("kind=cnn;in=1,28,28;classes=ten;conv=4", "cpu", 1, 1, &t) == FT_E_INVALID_ARGUMENT);
    CHECK(error_contains("'ten' is not an integer"));
    CHECK(ft_create("kind=cnn;in=1,28;classes=10;conv=4", "cpu", 1, 1, &t) == FT_E_INVALID_ARGUMENT);
    CHECK(ft_create("kind=cnn;in=1,4,4;classes=10;conv=4,4,4", "cpu", 1, 1, &t) == FT_E_INVALID_ARGUMENT);
    CHECK(ft_create("", "cpu", 1, 1, &t) == FT_E_INVALID_ARGUMENT);
    CHECK(ft_create(nullptr, "cpu", 1, 1, &t) == FT_E_INVALID_ARGUMENT);
    CHECK(ft_create(kTinySpec, "cpu", 1, 1, nullptr) == FT_E_INVALID_ARGUMENT);
    CHECK(ft_create(kTinySpec, "cpu", -1, 1, &t) == FT_E_INVALID_ARGUMENT);
    CHECK(ft_create(kTinySpec, "tpu", 1, 1, &t) == FT_E_DEVICE);
    // A CUDA build on a GPU machine may legitimately succeed; a CPU-only one must say why it cannot.
    int status = ft_create(kTinySpec, "cuda", 1, 1, &t);
    CHECK(status == FT_OK || (status == FT_E_DEVICE && error_contains("CUDA is not available")));
    ft_destroy(t);
    ft_destroy(nullptr);
}

void test_manifest_and_parameters() {
    ft_trainer* t = nullptr;
    CHECK(ft_create(kTinySpec, "cpu", 1, 1, &t) == FT_OK);
    int64_t count = 0;
    CHECK(ft_parameter_count(t, &count) == FT_OK);
    // conv0 4*1*9+4, conv1 8*4*9+8, fc1 16*(8*7*7)+16, out 10*16+10
    CHECK(count == 40 + 296 + 6288 + 170);
    ft_model_info info{};
    CHECK(ft_describe(t, &info) == FT_OK);
    CHECK(info.parameter_count == count && info.example_numel == 784 && info.classes == 10 && info.input_rank == 3);

    int64_t required = 0;
    CHECK(ft_manifest_json(t, nullptr, 0, &required) == FT_E_BUFFER);
    CHECK(required > 0);
    std::string json(static_cast<size_t>(required), '\0');
    CHECK(ft_manifest_json(t, json.data(), required, &required) == FT_OK);
    CHECK(json.rfind("[{\"name\":\"conv0.weight\",\"shape\":[4,1,3,3]},{\"name\":\"conv0.bias\"", 0) == 0);
    CHECK(json.find("{\"name\":\"out.bias\",\"shape\":[10]}]") != std::string::npos);

    std::vector<float> params(count), back(count);
    CHECK(ft_get_parameters(t, params.data(), count) == FT_OK);
    for (int64_t i = 0; i < count; ++i) params[i] = static_cast<float>(i % 17) * 0.01f;
    CHECK(ft_set_parameters(t, params.data(), count) == FT_OK);
    CHECK(ft_get_parameters(t, back.data(), count) == FT_OK);
    CHECK(std::memcmp(params.data(), back.data(), count * sizeof(float)) == 0);
    CHECK(ft_get_parameters(t, back.data(), count - 1) == FT_E_INVALID_ARGUMENT);
    CHECK(error_contains("the model has"));
    ft_destroy(t);
}

void test_train_and_evaluate() {
    Data data = make_data(500);
    ft_trainer* t = nullptr;
    CHECK(ft_create(kTinySpec, "cpu", 2, 3, &t) == FT_OK);
    std::vector<int64_t> correct(10), total(10);
    ft_eval_result before{}, after{};
    CHECK(ft_evaluate(t, data.images.data(), data.labels.data(), 500, 128, correct.data(), total.data(), &before) == FT_OK);

    ft_train_result result{};
    ft_train_options options = sgd(3, 0);
    CHECK(ft_train(t, data.images.data(), data.labels.data(), 500, &options, nullptr, &result) == FT_OK);
    CHECK(result.steps == 3 * 16 && result.examples == 1500);
    CHECK(std::isfinite(result.mean_loss) && result.seconds > 0);

    CHECK(ft_evaluate(t, data.images.data(), data.labels.data(), 500, 128, correct.data(), total.data(), &after) == FT_OK);
    CHECK(after.mean_loss < before.mean_loss);
    CHECK(after.accuracy > 0.9);
    // Batch 1 uses libtorch's Linear; bigger CPU batches route the dense layers through oneDNN: same numbers.
    ft_eval_result single{};
    CHECK(ft_evaluate(t, data.images.data(), data.labels.data(), 500, 1, nullptr, nullptr, &single) == FT_OK);
    CHECK(std::fabs(single.mean_loss - after.mean_loss) < 1e-4 && single.accuracy == after.accuracy);
    int64_t sum = 0;
    for (int64_t c : total) sum += c;
    CHECK(sum == 500 && total[0] == 50);

    options = sgd(0, 5);
    CHECK(ft_train(t, data.images.data(), data.labels.data(), 500, &options, nullptr, &result) == FT_OK);
    CHECK(result.steps == 5 && result.examples == 160);

    volatile int32_t cancel = 1;
    CHECK(ft_train(t, data.images.data(), data.labels.data(), 500, &options, &cancel, &result) == FT_E_CANCELLED);

    options.learning_rate = std::nanf("");
    CHECK(ft_train(t, data.images.data(), data.labels.data(), 500, &options, nullptr, &result) == FT_E_INVALID_ARGUMENT);
    CHECK(error_contains("learning rate"));
    options = sgd(1, 0);
    data.labels[7] = 10;
    CHECK(ft_train(t, data.images.data(), data.labels.data(), 500, &options, nullptr, &result) == FT_E_INVALID_ARGUMENT);
    CHECK(error_contains("label 10 at index 7"));
    data.labels[7] = 7;
    CHECK(ft_train(t, data.images.data(), data.labels.data(), 0, &options, nullptr, &result) == FT_E_INVALID_ARGUMENT);
    CHECK(ft_evaluate(t, data.images.data(), data.labels.data(), 0, 8, nullptr, nullptr, &after) == FT_OK);

    int64_t count = 0;
    CHECK(ft_parameter_count(t, &count) == FT_OK);
    std::vector<float> nan_params(count, std::nanf(""));
    CHECK(ft_set_parameters(t, nan_params.data(), count) == FT_OK);
    CHECK(ft_train(t, data.images.data(), data.labels.data(), 500, &options, nullptr, &result) == FT_E_NONFINITE);
    CHECK(error_contains("diverged"));
    ft_destroy(t);
}

void test_determinism() {
    Data data = make_data(200);
    std::vector<std::vector<float>> runs;
    for (int run = 0; run < 2; ++run) {
        ft_trainer* t = nullptr;
        CHECK(ft_create(kTinySpec, "cpu", 2, 42, &t) == FT_OK);
        ft_train_options options = sgd(2, 0);
        options.optimizer = 1;
        options.learning_rate = 0.01f;
        ft_train_result result{};
        CHECK(ft_train(t, data.images.data(), data.labels.data(), 200, &options, nullptr, &result) == FT_OK);
        int64_t count = 0;
        CHECK(ft_parameter_count(t, &count) == FT_OK);
        runs.emplace_back(count);
        CHECK(ft_get_parameters(t, runs.back().data(), count) == FT_OK);
        ft_destroy(t);
    }
    CHECK(runs[0].size() == runs[1].size());
    CHECK(std::memcmp(runs[0].data(), runs[1].data(), runs[0].size() * sizeof(float)) == 0);
}


void test_evaluate_parameters_reads_them_in_place() {
    Data data = make_data(300);
    ft_trainer* owner = nullptr;
    ft_trainer* t = nullptr;
    CHECK(ft_create(kTinySpec, "cpu", 2, 5, &owner) == FT_OK);
    CHECK(ft_create(kTinySpec, "cpu", 2, 6, &t) == FT_OK);
    ft_train_options options = sgd(1, 0);
    ft_train_result trained{};
    CHECK(ft_train(owner, data.images.data(), data.labels.data(), 300, &options, nullptr, &trained) == FT_OK);
    int64_t count = 0;
    CHECK(ft_parameter_count(owner, &count) == FT_OK);
    std::vector<float> params(count);
    CHECK(ft_get_parameters(owner, params.data(), count) == FT_OK);
    const std::vector<float> original = params;
    std::vector<int64_t> correct(10), total(10), borrowed_correct(10), borrowed_total(10);
    ft_eval_result expected{}, borrowed{};
    CHECK(ft_evaluate(owner, data.images.data(), data.labels.data(), 300, 64, correct.data(), total.data(), &expected) ==
          FT_OK);

    // Twice: the second call finds the trainer already without parameters of its own.
    for (int call = 0; call < 2; ++call) {
        CHECK(ft_evaluate_parameters(t, params.data(), count, data.images.data(), data.labels.data(), 300, 64,
                                     borrowed_correct.data(), borrowed_total.data(), &borrowed) == FT_OK);
        CHECK(std::fabs(borrowed.mean_loss - expected.mean_loss) < 1e-9 && borrowed.accuracy == expected.accuracy);
        CHECK(borrowed_correct == correct && borrowed_total == total);
    }
    CHECK(params == original);

    std::vector<float> back(count);
    CHECK(ft_get_parameters(t, back.data(), count) == FT_E_INVALID_ARGUMENT);
    CHECK(error_contains("holds no parameters"));
    CHECK(ft_evaluate(t, data.images.data(), data.labels.data(), 300, 64, nullptr, nullptr, &borrowed) ==
          FT_E_INVALID_ARGUMENT);
    CHECK(ft_train(t, data.images.data(), data.labels.data(), 300, &options, nullptr, &trained) == FT_E_INVALID_ARGUMENT);
    CHECK(ft_evaluate_parameters(t, params.data(), count - 1, data.images.data(), data.labels.data(), 300, 64, nullptr,
                                 nullptr, &borrowed) == FT_E_INVALID_ARGUMENT);
    CHECK(error_contains("the model has"));
    CHECK(ft_evaluate_parameters(t, nullptr, count, data.images.data(), data.labels.data(), 300, 64, nullptr, nullptr,
                                 &borrowed) == FT_E_INVALID_ARGUMENT);

    // ft_set_parameters gives the trainer parameters of its own again.
    CHECK(ft_set_parameters(t, params.data(), count) == FT_OK);
    std::fill(params.begin(), params.end(), 0.0f);
    CHECK(ft_get_parameters(t, back.data(), count) == FT_OK);
    CHECK(back == original);
    CHECK(ft_evaluate(t, data.images.data(), data.labels.data(), 300, 64, nullptr, nullptr, &borrowed) == FT_OK);
    CHECK(std::fabs(borrowed.mean_loss - expected.mean_loss) < 1e-9);
    CHECK(ft_train(t, data.images.data(), data.labels.data(), 300, &options, nullptr, &trained) == FT_OK);
    ft_destroy(owner);
    ft_destroy(t);
}

void test_large_dense_layers_evaluate_in_slices() {
    // A hidden layer of 392 x 12,000 weights exceeds the 4M a single oneDNN reorder may copy, so inference runs it
    // in output slices; batch 1 takes libtorch's Linear over the whole weight. Both must agree.
    Data data = make_data(40);
    ft_trainer* t = nullptr;
    CHECK(ft_create("kind=cnn;in=1,28,28;classes=10;conv=4,8;hidden=12000", "cpu", 2, 9, &t) == FT_OK);
    ft_eval_result sliced{}, whole{};
    CHECK(ft_evaluate(t, data.images.data(), data.labels.data(), 40, 40, nullptr, nullptr, &sliced) == FT_OK);
    CHECK(ft_evaluate(t, data.images.data(), data.labels.data(), 40, 1, nullptr, nullptr, &whole) == FT_OK);
    CHECK(std::fabs(sliced.mean_loss - whole.mean_loss) < 1e-4 && sliced.accuracy == whole.accuracy);
    ft_destroy(t);
}

}  // namespace

int main() {
    CHECK(ft_abi_version() == FT_ABI_VERSION);
    test_create_errors();
    test_manifest_and_parameters();
    test_train_and_evaluate();
    test_determinism();
    test_evaluate_parameters_reads_them_in_place();
    test_large_dense_layers_evaluate_in_slices();
    if (g_failures != 0) {
        std::fprintf(stderr, "%d check(s) failed\n", g_failures);
        return 1;
    }
    std::printf("all checks passed\n");
    return 0;
}
