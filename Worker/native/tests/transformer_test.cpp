// The Transformer kinds through the C ABI: spec errors, parameter shapes, a training step that lowers the loss on a
// tiny batch, and determinism by seed, for the ViT classifier and the causal language model.
#include "abi_test_support.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

using namespace fedtrain_test;

const char* kTinyVit = "kind=vit;in=1,28,28;classes=10;patch=7;dim=16;depth=2;heads=4;mlp=32";
const char* kTinyLm = "kind=lm;vocab=256;seq=16;dim=16;depth=2;heads=2;mlp=32";

// Windows of 17 byte ids cut from a repeating sentence: predictable text, so a few steps must lower the loss.
Data make_text(int64_t n) {
    const std::string text = "the quick brown fox jumps over the lazy dog. ";
    Data data{std::vector<float>(n * 17), std::vector<int64_t>(n, 0)};
    for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = 0; j < 17; ++j) {
            data.images[i * 17 + j] = static_cast<float>(static_cast<unsigned char>(text[(i * 5 + j) % text.size()]));
        }
    }
    return data;
}

std::string manifest(ft_trainer* t) {
    int64_t required = 0;
    ft_manifest_json(t, nullptr, 0, &required);
    std::string json(static_cast<size_t>(required), '\0');
    CHECK(ft_manifest_json(t, json.data(), required, &required) == FT_OK);
    return json;
}

void test_spec_errors() {
    ft_trainer* t = nullptr;
    CHECK(ft_create("kind=vit;in=1,28,28;classes=10;patch=5;dim=16;depth=1;heads=4;mlp=32", "cpu", 1, 1, &t) ==
          FT_E_INVALID_ARGUMENT);
    CHECK(error_contains("patch 5 does not divide the 28x28 input"));
    CHECK(ft_create("kind=vit;in=1,28,28;classes=10;patch=7;dim=18;depth=1;heads=4;mlp=32", "cpu", 1, 1, &t) ==
          FT_E_INVALID_ARGUMENT);
    CHECK(error_contains("dim 18 is not divisible by heads 4"));
    CHECK(ft_create("kind=vit;in=1,28,28;classes=10;patch=7;dim=16;depth=1;heads=4", "cpu", 1, 1, &t) ==
          FT_E_INVALID_ARGUMENT);
    CHECK(error_contains("missing key 'mlp'"));
    CHECK(ft_create("kind=lm;vocab=256;seq=16;dim=16;depth=1;heads=2;mlp=32;conv=4", "cpu", 1, 1, &t) ==
          FT_E_INVALID_ARGUMENT);
    CHECK(error_contains("unknown key 'conv'"));
    CHECK(ft_create("kind=lm;vocab=256;seq=16;dim=15;depth=1;heads=2;mlp=32", "cpu", 1, 1, &t) == FT_E_INVALID_ARGUMENT);
    CHECK(error_contains("dim 15 is not divisible by heads 2"));
    CHECK(t == nullptr);
}

void test_vit_shapes() {
    ft_trainer* t = nullptr;
    CHECK(ft_create(kTinyVit, "cpu", 1, 1, &t) == FT_OK);
    ft_model_info info{};
    CHECK(ft_describe(t, &info) == FT_OK);
    CHECK(info.classes == 10 && info.input_rank == 3 && info.example_numel == 784);
    // cls 16, pos 17*16, patch 16*49+16, per block 2*2*16 + (16*48+48) + (16*16+16) + (16*32+32) + (32*16+16),
    // final norm 32, head 16*10+10
    int64_t block = 64 + 816 + 272 + 544 + 528;
    CHECK(info.parameter_count == 16 + 272 + 800 + 2 * block + 32 + 170);
    std::string json = manifest(t);
    CHECK(json.rfind("[{\"name\":\"cls_token\",\"shape\":[1,1,16]},{\"name\":\"pos_embed\",\"shape\":[1,17,16]}", 0) == 0);
    CHECK(json.find("{\"name\":\"patch_embed.weight\",\"shape\":[16,1,7,7]}") != std::string::npos);
    CHECK(json.find("{\"name\":\"blocks.1.attn.qkv.weight\",\"shape\":[48,16]}") != std::string::npos);
    CHECK(json.find("{\"name\":\"blocks.0.mlp.fc2.weight\",\"shape\":[16,32]}") != std::string::npos);
    CHECK(json.find("{\"name\":\"head.bias\",\"shape\":[10]}]") != std::string::npos);
    ft_destroy(t);
}

void test_lm_shapes() {
    ft_trainer* t = nullptr;
    CHECK(ft_create(kTinyLm, "cpu", 1, 1, &t) == FT_OK);
    ft_model_info info{};
    CHECK(ft_describe(t, &info) == FT_OK);
    CHECK(info.classes == 256 && info.input_rank == 3 && info.example_numel == 17);
    CHECK(info.input_shape[0] == 1 && info.input_shape[1] == 1 && info.input_shape[2] == 17);
    int64_t block = 64 + 816 + 272 + 544 + 528;
    CHECK(info.parameter_count == 256 * 16 + 16 * 16 + 2 * block + 32 + 16 * 256 + 256);
    std::string json = manifest(t);
    // A module's own parameters come before its submodules' in libtorch's order.
    CHECK(json.rfind("[{\"name\":\"pos_embed\",\"shape\":[1,16,16]},{\"name\":\"tok_embed.weight\",\"shape\":[256,16]}", 0) == 0);
    CHECK(json.find("causal_mask") == std::string::npos);  // a buffer, not a parameter
    ft_destroy(t);
}

// Full-batch steps on a tiny batch must lower the loss the model reports for that batch.
void check_steps_lower_loss(const char* spec, const Data& data, int64_t n, float lr) {
    ft_trainer* t = nullptr;
    CHECK(ft_create(spec, "cpu", 1, 5, &t) == FT_OK);
    ft_eval_result before{}, after{};
    CHECK(ft_evaluate(t, data.images.data(), data.labels.data(), n, 64, nullptr, nullptr, &before) == FT_OK);
    ft_train_options options = sgd(0, 3);
    options.batch_size = static_cast<int32_t>(n);
    options.optimizer = 1;
    options.learning_rate = lr;
    ft_train_result result{};
    CHECK(ft_train(t, data.images.data(), data.labels.data(), n, &options, nullptr, &result) == FT_OK);
    CHECK(ft_evaluate(t, data.images.data(), data.labels.data(), n, 64, nullptr, nullptr, &after) == FT_OK);
    CHECK(std::isfinite(before.mean_loss) && after.mean_loss < before.mean_loss);
    CHECK(result.steps == 3 && result.examples == 3 * n);
    ft_destroy(t);
}

void test_training_lowers_loss() {
    check_steps_lower_loss(kTinyVit, make_data(32), 32, 0.01f);
    Data text = make_text(32);
    check_steps_lower_loss(kTinyLm, text, 32, 0.01f);

    // A random LM starts near ln(256) nats per token; per-class totals count next-token targets, 16 per window.
    ft_trainer* t = nullptr;
    CHECK(ft_create(kTinyLm, "cpu", 1, 5, &t) == FT_OK);
    std::vector<int64_t> correct(256), total(256);
    ft_eval_result eval{};
    CHECK(ft_evaluate(t, text.images.data(), text.labels.data(), 32, 8, correct.data(), total.data(), &eval) == FT_OK);
    CHECK(std::fabs(eval.mean_loss - std::log(256.0)) < 0.2);
    int64_t targets = 0;
    for (int64_t c : total) targets += c;
    CHECK(targets == 32 * 16 && total[' '] > 0);
    text.images[3] = 300.0f;  // not a byte
    CHECK(ft_evaluate(t, text.images.data(), text.labels.data(), 32, 8, nullptr, nullptr, &eval) == FT_E_INVALID_ARGUMENT);
    CHECK(error_contains("token ids must be whole numbers in [0, 256)"));
    ft_dp_options dp{1.0, 1.0, 7};
    ft_dp_result dp_out{};
    ft_train_result result{};
    ft_train_options options = sgd(0, 1);
    text.images[3] = 32.0f;
    CHECK(ft_train_dp(t, text.images.data(), text.labels.data(), 32, &options, &dp, nullptr, &result, &dp_out) ==
          FT_E_INVALID_ARGUMENT);
    CHECK(error_contains("DP-SGD is not supported for kind=lm"));
    ft_destroy(t);
}

std::vector<float> train_and_read(const char* spec, const Data& data, int64_t n, uint64_t seed) {
    ft_trainer* t = nullptr;
    CHECK(ft_create(spec, "cpu", 2, seed, &t) == FT_OK);
    ft_train_options options = sgd(1, 0);
    options.batch_size = 8;
    options.optimizer = 1;
    options.learning_rate = 0.005f;
    ft_train_result result{};
    CHECK(ft_train(t, data.images.data(), data.labels.data(), n, &options, nullptr, &result) == FT_OK);
    int64_t count = 0;
    CHECK(ft_parameter_count(t, &count) == FT_OK);
    std::vector<float> parameters(count);
    CHECK(ft_get_parameters(t, parameters.data(), count) == FT_OK);
    ft_destroy(t);
    return parameters;
}

void test_determinism() {
    Data images = make_data(24);
    Data text = make_text(24);
    for (auto [spec, data] : {std::pair<const char*, const Data*>{kTinyVit, &images}, {kTinyLm, &text}}) {
        std::vector<float> a = train_and_read(spec, *data, 24, 9);
        std::vector<float> b = train_and_read(spec, *data, 24, 9);
        std::vector<float> c = train_and_read(spec, *data, 24, 10);
        CHECK(a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
        CHECK(a.size() == c.size() && std::memcmp(a.data(), c.data(), a.size() * sizeof(float)) != 0);
    }
}

}  // namespace

int main() {
    test_spec_errors();
    test_vit_shapes();
    test_lm_shapes();
    test_training_lowers_loss();
    test_determinism();
    if (g_failures != 0) {
        std::fprintf(stderr, "%d check(s) failed\n", g_failures);
        return 1;
    }
    std::printf("all checks passed\n");
    return 0;
}
