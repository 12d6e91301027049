// FedProx (Li et al. 2020, "Federated Optimization in Heterogeneous Networks"): local training minimises
// loss(w) + (mu / 2) * ||w - w_start||^2, which keeps a client's model near the global model it started from
// when its data differ from the others'. The term's gradient, mu * (w - w_start), is added to the data gradient
// before each optimizer step; mu = 0 leaves training untouched and costs nothing.
#pragma once

#include <ATen/core/Tensor.h>

#include <vector>

#include "model.h"

namespace fedtrain {

class ProximalTerm {
public:
    // Snapshots the parameters as they are now (the start of the round) when mu > 0.
    ProximalTerm(const std::vector<NamedTensor>& parameters, double mu);

    // grad += mu * (w - w_start) for every parameter; each grad must be defined.
    void add_gradient() const;

private:
    std::vector<at::Tensor> parameters_;
    std::vector<at::Tensor> start_;
    double mu_;
};

}  // namespace fedtrain
