// Time per training step of the worker's trainer (ft_train through the C ABI) against a plain libtorch loop that
// a PyTorch user would write for the same CNN: torch::nn modules, cross-entropy, torch::optim::SGD with momentum,
// the same batches of the same data, the same thread count. Each loop runs in its own process (MODE), so the
// trainer's process-wide caching allocator cannot speed up the plain loop.
//
//   fedtrain_train_bench MODE [conv] [hidden] [batch] [steps] [threads] [device]      MODE: ours | plain
//
// For `ours`, conv may instead be a whole model spec ("kind=vit;..."), to time any model of the zoo; device is
// cpu (default), cuda or cuda:N. On CUDA the data set is copied to the device once, before timing.
//
// Defaults: the default CNN (conv=32,64 hidden=128), batch 32, 100 steps, 1 thread. The loop warms up once, then
// runs `kRounds` times; the median round is printed as one JSON line (milliseconds per step).
#include "fedtrain_trainer.h"

#include <torch/cuda.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

namespace {

constexpr int kRounds = 5;
constexpr int64_t kSide = 28;
constexpr int64_t kClasses = 10;

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

void require(int status, const char* what) {
    if (status != FT_OK) {
        std::fprintf(stderr, "%s failed (%d): %s\n", what, status, ft_last_error());
        std::exit(1);
    }
}

std::vector<int64_t> parse_widths(const std::string& text) {
    std::vector<int64_t> widths;
    std::stringstream stream(text);
    std::string item;
    while (std::getline(stream, item, ',')) widths.push_back(std::stoll(item));
    return widths;
}

// The same architecture as the trainer's CNN, written the way the libtorch documentation writes models.
struct PlainCnn : torch::nn::Module {
    PlainCnn(const std::vector<int64_t>& conv, int64_t hidden) {
        int64_t in = 1;
        for (size_t i = 0; i < conv.size(); ++i) {
            convs.push_back(register_module("conv" + std::to_string(i), torch::nn::Conv2d(torch::nn::Conv2dOptions(in, conv[i], 3).padding(1))));
            in = conv[i];
        }
        const int64_t side = kSide >> conv.size();
        fc1 = register_module("fc1", torch::nn::Linear(in * side * side, hidden));
        out = register_module("out", torch::nn::Linear(hidden, kClasses));
    }

    torch::Tensor forward(torch::Tensor x) {
        for (auto& conv : convs) x = torch::max_pool2d(torch::relu(conv->forward(x)), 2);
        x = torch::relu(fc1->forward(x.flatten(1)));
        return out->forward(x);
    }

    std::vector<torch::nn::Conv2d> convs;
    torch::nn::Linear fc1{nullptr};
    torch::nn::Linear out{nullptr};
};

}  // namespace

int main(int argc, char** argv) {
    const std::string mode = argc > 1 ? argv[1] : "";
    if (mode != "ours" && mode != "plain") {
        std::fprintf(stderr, "usage: fedtrain_train_bench ours|plain [conv|spec] [hidden] [batch] [steps] [threads] [device]\n");
        return 2;
    }
    const std::string conv_text = argc > 2 ? argv[2] : "32,64";
    const int64_t hidden = argc > 3 ? std::atoll(argv[3]) : 128;
    const int32_t batch = argc > 4 ? std::atoi(argv[4]) : 32;
    const int32_t steps = argc > 5 ? std::atoi(argv[5]) : 100;
    const int32_t threads = argc > 6 ? std::atoi(argv[6]) : 1;
    const std::string device = argc > 7 ? argv[7] : "cpu";
    const bool whole_spec = conv_text.rfind("kind=", 0) == 0;
    if (whole_spec && mode == "plain") {
        std::fprintf(stderr, "the plain loop is written for the CNN only; pass conv widths, not a spec\n");
        return 2;
    }
    const std::vector<int64_t> conv = whole_spec ? std::vector<int64_t>{} : parse_widths(conv_text);

    // One data set for both loops: steps * batch examples, so each loop sees every example once per round.
    const int64_t n = static_cast<int64_t>(steps) * batch;
    std::vector<float> images(static_cast<size_t>(n * kSide * kSide));
    std::vector<int64_t> labels(static_cast<size_t>(n));
    uint32_t state = 1;
    for (float& v : images) {
        state = state * 1664525u + 1013904223u;
        v = static_cast<float>(state >> 8) / 16777216.0f;
    }
    for (int64_t i = 0; i < n; ++i) labels[static_cast<size_t>(i)] = i % kClasses;

    const std::string spec =
        whole_spec ? conv_text : "kind=cnn;in=1,28,28;classes=10;conv=" + conv_text + ";hidden=" + std::to_string(hidden);
    std::vector<double> ms;
    if (mode == "ours") {
        ft_trainer* trainer = nullptr;
        require(ft_create(spec.c_str(), device.c_str(), threads, 1, &trainer), "ft_create");
        ft_train_options options{};
        options.local_steps = steps;
        options.batch_size = batch;
        options.learning_rate = 0.01f;
        options.momentum = 0.9f;
        options.seed = 1;
        auto round = [&] {
            ft_train_result result{};
            require(ft_train(trainer, images.data(), labels.data(), n, &options, nullptr, &result), "ft_train");
            return result.seconds * 1000.0 / static_cast<double>(result.steps);
        };
        round();
        for (int r = 0; r < kRounds; ++r) ms.push_back(round());
        ft_destroy(trainer);
    } else {
        torch::set_num_threads(threads);
        torch::manual_seed(1);
        const torch::Device target(device);
        PlainCnn model(conv, hidden);
        model.to(target);
        torch::optim::SGD optimizer(model.parameters(), torch::optim::SGDOptions(0.01).momentum(0.9));
        const torch::Tensor all_images = torch::from_blob(images.data(), {n, 1, kSide, kSide}, torch::kFloat).to(target);
        const torch::Tensor all_labels = torch::from_blob(labels.data(), {n}, torch::kLong).to(target);
        auto round = [&] {
            const auto start = std::chrono::steady_clock::now();
            const torch::Tensor order = torch::randperm(n, torch::TensorOptions(torch::kLong).device(target));
            for (int32_t s = 0; s < steps; ++s) {
                const torch::Tensor index = order.slice(0, static_cast<int64_t>(s) * batch, static_cast<int64_t>(s + 1) * batch);
                optimizer.zero_grad();
                torch::Tensor loss = torch::nn::functional::cross_entropy(
                    model.forward(all_images.index_select(0, index)), all_labels.index_select(0, index));
                loss.backward();
                optimizer.step();
            }
            if (target.is_cuda()) torch::cuda::synchronize();
            const std::chrono::duration<double, std::milli> elapsed = std::chrono::steady_clock::now() - start;
            return elapsed.count() / steps;
        };
        round();
        for (int r = 0; r < kRounds; ++r) ms.push_back(round());
    }
    std::printf("{\"mode\": \"%s\", \"spec\": \"%s\", \"batch\": %d, \"steps\": %d, \"threads\": %d, \"ms_per_step\": %.4f}\n",
                mode.c_str(), spec.c_str(), batch, steps, threads, median(ms));
    return 0;
}
