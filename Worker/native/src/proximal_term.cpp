#include "proximal_term.h"

#include <ATen/Functions.h>
#include <c10/core/GradMode.h>

namespace fedtrain {

ProximalTerm::ProximalTerm(const std::vector<NamedTensor>& parameters, double mu) : mu_(mu) {
    if (mu_ <= 0) {
        return;
    }
    c10::NoGradGuard no_grad;
    for (const NamedTensor& p : parameters) {
        parameters_.push_back(p.tensor);
        start_.push_back(p.tensor.detach().clone());
    }
}

void ProximalTerm::add_gradient() const {
    if (mu_ <= 0) {
        return;
    }
    c10::NoGradGuard no_grad;
    for (size_t i = 0; i < parameters_.size(); ++i) {
        // A parameter the loss does not reach (e.g. an unused embedding row set) still gets pulled back.
        at::Tensor& grad = parameters_[i].mutable_grad();
        if (!grad.defined()) {
            grad = at::zeros_like(parameters_[i]);
        }
        grad.add_(parameters_[i].sub(start_[i]), mu_);
    }
}

}  // namespace fedtrain
