// A CPU allocator for libtorch that keeps freed buffers for reuse.
//
// Why: every training step frees and reallocates the same activation and gradient buffers. glibc hands large
// blocks back to the kernel (munmap, heap trim), so each step faulted thousands of fresh pages in again
// (measured ~3-5k page faults per step for the default CNN at batch 64). Reusing blocks keeps the working set
// touched. The cache is bounded (FEDTRAIN_CPU_CACHE_MB, default 1024; 0 disables it).
#pragma once

namespace fedtrain {

// Installs the allocator as libtorch's CPU allocator for the whole process; later calls do nothing. Buffers
// allocated before keep their own deleters, so switching while tensors are alive is safe.
void install_caching_cpu_allocator();

// Frees every cached block, for when a large buffer was given up for good (ft_evaluate_parameters).
void release_cached_cpu_memory();

}  // namespace fedtrain
