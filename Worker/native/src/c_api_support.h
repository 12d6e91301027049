// What every extern "C" function shares: the handle type, the thread's last error, and the wrapper that turns any
// C++ exception into a status code. Included by c_api.cpp and c_api_torchscript.cpp only.
#pragma once

#include <c10/util/Exception.h>

#include <memory>
#include <new>
#include <string>

#include "error.h"
#include "fedtrain_trainer.h"
#include "trainer.h"

struct ft_trainer {
    std::unique_ptr<fedtrain::Trainer> impl;
};

namespace fedtrain::c_api {

inline thread_local std::string t_last_error;

inline int record(int code, const char* message) noexcept {
    try {
        t_last_error = message;
    } catch (...) {
        // Out of memory while saving the message: the status code still tells the story.
    }
    return code;
}

template <typename F>
int guarded(F&& body) noexcept {
    t_last_error.clear();
    try {
        body();
        return FT_OK;
    } catch (const fedtrain::Error& e) {
        return record(e.code(), e.what());
    } catch (const c10::Error& e) {
        return record(FT_E_INTERNAL, e.what_without_backtrace());
    } catch (const std::bad_alloc&) {
        return record(FT_E_INTERNAL, "out of memory");
    } catch (const std::exception& e) {
        return record(FT_E_INTERNAL, e.what());
    } catch (...) {
        return record(FT_E_INTERNAL, "unknown C++ exception");
    }
}

inline void require(const void* pointer, const char* name) {
    if (pointer == nullptr) {
        fedtrain::invalid(std::string(name) + " must not be null");
    }
}

inline fedtrain::Trainer& trainer(ft_trainer* t) {
    require(t, "trainer");
    return *t->impl;
}

}  // namespace fedtrain::c_api

