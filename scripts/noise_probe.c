/* How steady this CPU is, resource by resource: one line per sample with
 * the seconds of three fixed loops, run one after the other on one core.
 *
 *   chain  a scalar multiply-add chain: latency bound, registers only;
 *   fma    eight independent vector multiply-add chains: the vector ports,
 *          registers only;
 *   l1     a 3-point stencil between two 16 KB arrays (three loads and a
 *          store per vector): the load and store ports and the L1 cache,
 *          as the stencil and word-count kernels use them.
 *
 * On a VM whose vCPU shares a physical core with another guest's (SMT), the
 * other guest's load takes the shared ports and caches: `l1` slows down
 * while `chain` and `fma` stay put. scripts/noise_probe.sh runs it.
 *
 * Build: cc -O3 -march=native -ffp-contract=fast scripts/noise_probe.c
 * Usage: noise_probe [SAMPLES]   (default 1)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef double v8 __attribute__((vector_size(64)));

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static volatile double sink;

static double chain(void) {
    double t0 = now();
    unsigned long x = 1;
    for (long i = 0; i < 20000000; i++) x = x * 2862933555777941757UL + 3037000493UL;
    sink = (double)x;
    return now() - t0;
}

static double fma_ports(void) {
    double t0 = now();
    v8 a[8], m = {0}, c = {0};
    for (int l = 0; l < 8; l++) { m[l] = 0.999999; c[l] = 1e-7; }
    for (int k = 0; k < 8; k++) a[k] = m;
    for (long i = 0; i < 5000000; i++)
        for (int k = 0; k < 8; k++) a[k] = a[k] * m + c;
    v8 s = a[0] + a[1] + a[2] + a[3] + a[4] + a[5] + a[6] + a[7];
    sink = s[0];
    return now() - t0;
}

enum { L1_CELLS = 2048 };

static double l1_stencil(double *a, double *b) {
    double t0 = now();
    for (int pass = 0; pass < 40000; pass++) {
        for (int i = 1; i < L1_CELLS - 1; i++) b[i] = (a[i - 1] + a[i + 1]) * 0.25 + a[i] * 0.5;
        double *t = a; a = b; b = t;
    }
    sink = a[L1_CELLS / 2];
    return now() - t0;
}

int main(int argc, char **argv) {
    long samples = argc > 1 ? atol(argv[1]) : 1;
    if (samples < 1) {
        fprintf(stderr, "noise_probe: SAMPLES must be a positive integer, got %s\n", argv[1]);
        return 2;
    }
    double *a = aligned_alloc(64, L1_CELLS * sizeof(double));
    double *b = aligned_alloc(64, L1_CELLS * sizeof(double));
    if (!a || !b) return 1;
    for (int i = 0; i < L1_CELLS; i++) a[i] = b[i] = (double)(i % 7);
    for (long s = 0; s < samples; s++) {
        double tc = chain(), tf = fma_ports(), tl = l1_stencil(a, b);
        printf("chain %.4f fma %.4f l1 %.4f\n", tc, tf, tl);
        fflush(stdout);
    }
    return 0;
}
