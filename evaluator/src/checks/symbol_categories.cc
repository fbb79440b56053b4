#include "checks/symbol_categories.h"

#include <fnmatch.h>

#include <utility>

namespace ksearch::evaluator::checks {
namespace {

// First match wins; order matters where globs overlap (cudaMemcpyAsync is
// allowlisted, so it never reaches the "default stream" row).
const std::pair<const char*, const char*> kCategories[] = {
    {"syscall", "raw system call"},
    {"pthread_*", "threads"}, {"thrd_*", "threads"}, {"_ZNSt6thread*", "threads"},
    {"_ZNSt13__future_base*", "threads"}, {"__clone*", "threads"}, {"clone*", "threads"},
    {"fork", "processes"}, {"vfork", "processes"}, {"exec*", "processes"},
    {"system", "processes"}, {"popen", "processes"}, {"posix_spawn*", "processes"},
    {"kill", "processes"}, {"ptrace", "processes"}, {"process_vm_*", "processes"},
    {"dlopen", "dynamic loading"}, {"dlmopen", "dynamic loading"}, {"dlsym", "dynamic loading"},
    {"dlvsym", "dynamic loading"}, {"dladdr*", "dynamic loading"},
    {"dl_iterate_phdr", "dynamic loading"}, {"cudaGetDriverEntryPoint*", "dynamic loading"},
    {"cuGetProcAddress*", "dynamic loading"}, {"hipGetProcAddress*", "dynamic loading"},
    {"clock_gettime", "time"}, {"gettimeofday", "time"}, {"time", "time"}, {"clock", "time"},
    {"_ZNSt6chrono*now*", "time"}, {"nanosleep", "time"}, {"usleep", "time"}, {"sleep", "time"},
    {"timer_*", "signals"}, {"setitimer", "signals"}, {"alarm", "signals"},
    {"signal", "signals"}, {"sigaction", "signals"}, {"raise", "signals"},
    {"mmap*", "memory mapping"}, {"munmap", "memory mapping"}, {"mprotect", "memory mapping"},
    {"mremap", "memory mapping"}, {"madvise", "memory mapping"}, {"shm_*", "memory mapping"},
    {"shmat", "memory mapping"}, {"memfd_create", "memory mapping"},
    {"getenv", "environment"}, {"secure_getenv", "environment"}, {"setenv", "environment"},
    {"putenv", "environment"}, {"unsetenv", "environment"},
    {"fopen*", "files"}, {"freopen*", "files"}, {"open*", "files"}, {"creat*", "files"},
    {"read", "files"}, {"write", "files"}, {"pread*", "files"}, {"pwrite*", "files"},
    {"fread", "files"}, {"fwrite", "files"}, {"fgets", "files"}, {"fscanf", "files"},
    {"*printf*", "files (stdout is the runner's result channel)"},
    {"puts", "files (stdout is the runner's result channel)"},
    {"putchar", "files (stdout is the runner's result channel)"},
    {"fputs", "files"}, {"fputc", "files"}, {"fflush", "files"}, {"*stat", "files"},
    {"*stat64", "files"}, {"access", "files"}, {"unlink*", "files"}, {"rename*", "files"},
    {"mkdir*", "files"}, {"opendir", "files"}, {"readdir*", "files"}, {"dup*", "files"},
    {"ioctl", "files"}, {"_ZNSt*basic_filebuf*", "files"}, {"_ZNSt*basic_*fstream*", "files"},
    {"_ZSt4cout", "files (stdout is the runner's result channel)"}, {"_ZSt4cerr", "files"},
    {"_ZNSo*", "files"}, {"_ZStlsISt11char_traitsIcEERSt13basic_ostream*", "files"},
    {"cudaStreamSetAttribute", "L2 policy"}, {"cudaCtxResetPersistingL2Cache", "L2 policy"},
    {"cudaDeviceSetLimit", "L2 policy"}, {"cudaLaunchKernelExC*", "L2 policy (launch attributes)"},
    {"cudaStreamAddCallback", "callbacks"}, {"cudaLaunchHostFunc", "callbacks"},
    {"cudaGraph*", "graphs"}, {"cudaStreamBeginCapture*", "graphs"},
    {"cudaStream*", "streams"}, {"cudaEvent*", "events (timer)"},
    {"cudaMallocAsync", "allocator"}, {"cudaFreeAsync", "allocator"}, {"cudaMemPool*", "allocator"},
    {"cudaMallocFromPoolAsync", "allocator"}, {"cudaMallocManaged", "allocator"},
    {"cudaMallocHost", "allocator"}, {"cudaHostAlloc", "allocator"}, {"cudaHostRegister", "allocator"},
    {"cudaMalloc*", "allocator"}, {"cudaFree*", "allocator"},
    {"cudaMemcpy", "default stream"}, {"cudaMemset", "default stream"},
    {"cudaMemcpy2D", "default stream"}, {"cudaMemcpyToSymbol", "default stream"},
    {"cudaDeviceSynchronize", "synchronization"}, {"cudaDeviceReset", "device control"},
    {"cudaSetDevice", "device control"}, {"cudaDeviceSet*", "device control"},
    {"cu[A-Z]*", "CUDA driver API"},
    {"cublas*", "vendor library"}, {"cudnn*", "vendor library"}, {"cufft*", "vendor library"},
    {"curand*", "vendor library"}, {"cusparse*", "vendor library"}, {"nccl*", "vendor library"},
    {"hipStream*", "streams"}, {"hipEvent*", "events (timer)"}, {"hipMalloc*", "allocator"},
    {"rocblas*", "vendor library"}, {"hipblas*", "vendor library"},
};

const char* const kReserved[] = {
    "cuda*", "cu[A-Z]*", "__cuda*", "hip*", "__hip*", "nccl*", "nvtx*", "ks_*",
    "pthread_*", "clock*", "gettimeofday", "time", "dlopen", "dlsym", "malloc", "free",
};

}  // namespace

std::string SymbolCategory(const std::string& name) {
  for (const auto& [glob, cat] : kCategories)
    if (fnmatch(glob, name.c_str(), 0) == 0) return cat;
  return "";
}

bool IsReservedName(const std::string& name) {
  if (name == "ks_run") return false;
  for (const char* glob : kReserved)
    if (fnmatch(glob, name.c_str(), 0) == 0) return true;
  return false;
}

}  // namespace ksearch::evaluator::checks
