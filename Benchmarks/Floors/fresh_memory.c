// The cost of writing memory that has just come from the operating system, against memory
// written again at once: what a solver pays for each large array it allocates afresh. Maps
// `MB` megabytes (optionally advised onto transparent huge pages), writes them, unmaps them,
// sleeps `idle` seconds, and repeats. With idle 0 the kernel hands back the same pages at once;
// after an idle second a virtual machine's host may have taken them back (free page
// reporting), and the first write faults them in again.
//
//   cc -O2 Benchmarks/Floors/fresh_memory.c -o /tmp/freshmem
//   /tmp/freshmem [MB] [huge 0|1] [idle seconds] [repetitions]
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(int argc, char **argv) {
  size_t bytes = (size_t)(argc > 1 ? atol(argv[1]) : 270) << 20;
  int huge = argc > 2 ? atoi(argv[2]) : 1;
  double idle = argc > 3 ? atof(argv[3]) : 1;
  int reps = argc > 4 ? atoi(argv[4]) : 4;
  for (int r = 0; r < reps; r++) {
    double t0 = now();
    char *p = mmap(0, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 1;
#ifdef MADV_HUGEPAGE
    if (huge) madvise(p, bytes, MADV_HUGEPAGE);
#endif
    memset(p, 1, bytes);
    double t1 = now();
    memset(p, 2, bytes);
    double t2 = now();
    munmap(p, bytes);
    printf("%zu MB, huge pages %d, after %.1f s idle: first write %.1f ms (%.2f ms/MB), "
           "second write %.1f ms\n",
           bytes >> 20, huge, r == 0 ? 0.0 : idle, (t1 - t0) * 1e3, (t1 - t0) * 1e3 / (bytes >> 20),
           (t2 - t1) * 1e3);
    usleep((useconds_t)(idle * 1e6));
  }
  return 0;
}
