#pragma once
// Process-wide settings that make LibTorch fast on Debian's build. Call first
// thing in main(), before any other work: it may re-execute the program once.
namespace clipscope {

// 1. Debian's torch runs elementwise ops on libgomp threads and GEMMs on
//    OpenBLAS's own pthreads. With libgomp's default (active spinning) the two
//    pools fight over the cores: a ViT-B-16 forward on 2 cores took 792 ms instead
//    of 239 ms. libgomp reads OMP_WAIT_POLICY only when it is loaded, before
//    main(), so if it is unset we set it to PASSIVE and re-exec ourselves once.
// 2. glibc hands large freed blocks back to the kernel and faults them in again
//    on the next forward (~70,000 page faults per batch-8 ViT-B-16 call); raising
//    the mmap and trim thresholds keeps them for reuse.
void prepare_process(int argc, char** argv);

}  // namespace clipscope
