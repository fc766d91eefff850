#include "clipscope/base/process_setup.h"

#include <malloc.h>
#include <unistd.h>

#include <cstdlib>

namespace clipscope {

void prepare_process(int argc, char** argv) {
    (void)argc;
    if (std::getenv("OMP_WAIT_POLICY") == nullptr && std::getenv("CLIPSCOPE_NO_REEXEC") == nullptr) {
        ::setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
        ::execv("/proc/self/exe", argv);
        // exec failed (no /proc?): carry on with the default policy.
    }
    ::mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's upper bound for this setting
    ::mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

}  // namespace clipscope
