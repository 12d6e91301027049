// The one exception type the library throws on purpose; the C ABI turns it into its status code.
#pragma once

#include <stdexcept>
#include <string>

#include "fedtrain_trainer.h"

namespace fedtrain {

class Error : public std::runtime_error {
public:
    Error(ft_status code, const std::string& message) : std::runtime_error(message), code_(code) {}

    ft_status code() const noexcept { return code_; }

private:
    ft_status code_;
};

[[noreturn]] inline void fail(ft_status code, const std::string& message) { throw Error(code, message); }

[[noreturn]] inline void invalid(const std::string& message) { fail(FT_E_INVALID_ARGUMENT, message); }

}  // namespace fedtrain
