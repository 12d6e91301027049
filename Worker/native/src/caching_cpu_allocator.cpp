#include "caching_cpu_allocator.h"

#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <c10/util/Exception.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <string>

namespace fedtrain {
namespace {

// The block's capacity sits in a header just before the data; the header is one alignment unit long so data
// keeps c10's 64-byte alignment. data == context, as Allocator::raw_allocate (used by oneDNN) requires.
constexpr size_t kAlignment = 64;
// glibc's bins already recycle smaller blocks from the heap without new page faults.
constexpr size_t kMinCached = size_t{64} << 10;
constexpr size_t kPage = 4096;

struct Cache {
    std::mutex mutex;
    std::multimap<size_t, void*> free_blocks;  // capacity -> data
    size_t cached_bytes = 0;
    size_t limit_bytes = 0;
};

// Leaked on purpose: tensors may be freed during static destruction, after a static cache would be gone.
Cache& cache() {
    static Cache* instance = new Cache();
    return *instance;
}

size_t round_up(size_t value, size_t to) { return (value + to - 1) / to * to; }

void free_block(void* data) { std::free(static_cast<char*>(data) - kAlignment); }

void drop_cache_locked(Cache& c) {
    for (auto& entry : c.free_blocks) {
        free_block(entry.second);
    }
    c.free_blocks.clear();
    c.cached_bytes = 0;
}

void* allocate_block(size_t capacity) {
    void* base = nullptr;
    if (posix_memalign(&base, kAlignment, capacity + kAlignment) != 0) {
        // Cached blocks of other sizes may be what stands in the way; give them back and try once more.
        Cache& c = cache();
        {
            std::lock_guard<std::mutex> lock(c.mutex);
            drop_cache_locked(c);
        }
        if (posix_memalign(&base, kAlignment, capacity + kAlignment) != 0) {
            TORCH_CHECK(false, "out of CPU memory allocating ", capacity, " bytes");
        }
    }
    *static_cast<size_t*>(base) = capacity;
    return static_cast<char*>(base) + kAlignment;
}

void release(void* data) {
    if (data == nullptr) {
        return;
    }
    size_t capacity = *reinterpret_cast<size_t*>(static_cast<char*>(data) - kAlignment);
    if (capacity >= kMinCached) {
        Cache& c = cache();
        std::lock_guard<std::mutex> lock(c.mutex);
        if (c.cached_bytes + capacity <= c.limit_bytes) {
            c.free_blocks.emplace(capacity, data);
            c.cached_bytes += capacity;
            return;
        }
    }
    free_block(data);
}

void* acquire(size_t nbytes) {
    if (nbytes < kMinCached) {
        return allocate_block(round_up(nbytes, kAlignment));
    }
    size_t capacity = round_up(nbytes, kPage);
    Cache& c = cache();
    {
        std::lock_guard<std::mutex> lock(c.mutex);
        // Best fit within 25% slack: steps repeat exact sizes, and a slightly larger block beats a fresh one.
        auto it = c.free_blocks.lower_bound(capacity);
        if (it != c.free_blocks.end() && it->first <= capacity + capacity / 4) {
            void* data = it->second;
            c.cached_bytes -= it->first;
            c.free_blocks.erase(it);
            return data;
        }
    }
    return allocate_block(capacity);
}

class CachingCpuAllocator final : public c10::Allocator {
public:
    c10::DataPtr allocate(size_t nbytes) const override {
        void* data = nbytes == 0 ? nullptr : acquire(nbytes);
        return {data, data, &release, c10::Device(c10::DeviceType::CPU)};
    }

    c10::DeleterFnPtr raw_deleter() const override { return &release; }
};

size_t limit_from_environment() {
    const char* text = std::getenv("FEDTRAIN_CPU_CACHE_MB");
    if (text == nullptr || *text == '\0') {
        return size_t{1024} << 20;
    }
    char* end = nullptr;
    unsigned long long megabytes = std::strtoull(text, &end, 10);
    return *end == '\0' ? static_cast<size_t>(megabytes) << 20 : size_t{1024} << 20;
}

}  // namespace

void release_cached_cpu_memory() {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    drop_cache_locked(c);
}

void install_caching_cpu_allocator() {
    static std::once_flag once;
    std::call_once(once, [] {
        size_t limit = limit_from_environment();
        if (limit == 0) {
            return;
        }
        cache().limit_bytes = limit;
        static CachingCpuAllocator* allocator = new CachingCpuAllocator();
        // Priority 1 outranks libtorch's default (0) but yields to anything an embedding application set higher.
        c10::SetCPUAllocator(allocator, /*priority=*/1);
    });
}

}  // namespace fedtrain
