/* auc.c: the course's area under the curve (auc.py) as plain C, the peer
 * that `hpcrs bench` times `hpcrs auc` against.
 *
 * The loop a C programmer writes: x = i*dx recomputed every iteration, the
 * polynomial written out, and `#pragma omp parallel for reduction(+:a)` to
 * use all cores when compiled with -fopenmp (serial otherwise). Compiled with
 * `cc -O3 -march=native [-fopenmp]`.
 *
 * Usage: auc [NTOT]   (default 300000000)
 * stdout: "The area is 8.175000" like the course; stderr: key=value results.
 */
#include <stdio.h>
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "clock.h"

int main(int argc, char **argv) {
    long ntot = argc > 1 ? atol(argv[1]) : 300000000L;
    if (ntot <= 0) {
        fprintf(stderr, "usage: %s [NTOT > 0]\n", argv[0]);
        return 2;
    }
    double dx = 3.0 / ntot;
    double a = 0.0;
    double t0 = now();
#pragma omp parallel for reduction(+:a)
    for (long i = 0; i < ntot; i++) {
        double x = i * dx;
        double y = 0.7 * x * x * x - 2 * x * x + 4;
        a += y * dx;
    }
    double seconds = now() - t0;
    int threads = 1;
#ifdef _OPENMP
    threads = omp_get_max_threads();
#endif
    printf("The area is %f\n", a);
    fprintf(stderr, "seconds=%.9f ntot=%ld threads=%d area=%.17g\n", seconds, ntot, threads, a);
    return 0;
}
