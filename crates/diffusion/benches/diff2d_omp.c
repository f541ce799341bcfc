/* The course's diff2d loop in plain C, as an HPC programmer writes it:
 * two arrays, one fused update per step, `#pragma omp parallel for` over
 * rows. Same grid derivation, initial condition and arithmetic order as
 * hpcrs, so the checksum printed must match hpcrs's.
 *
 *   cc -O3 -march=native -fopenmp diff2d_omp.c -o diff2d_omp -lm
 *   OMP_NUM_THREADS=1 ./diff2d_omp    # serial
 *   ./diff2d_omp                      # all cores
 *
 * Prints "<seconds of stepping> <sum of the final density>".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
static double now(void) { return omp_get_wtime(); }
#else
#include <time.h>
static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}
#endif

int main(void) {
    double D = 1.0, x1 = -10.0, x2 = 10.0, runtime = 15.0, dx = 0.0667;
    int nrows = (int)((x2 - x1) / dx), n = nrows + 2;
    dx = (x2 - x1) / nrows;
    double dt = 0.25 * dx * dx / D;
    int nsteps = (int)(runtime / dt);
    double xm = (x1 + x2) / 2, k = D / (dx * dx) * dt;
    double *a = calloc((size_t)n * n, sizeof *a), *b = calloc((size_t)n * n, sizeof *b);
    double *x = malloc(n * sizeof *x);
    double step = ((x2 + dx) - (x1 - dx)) / (n - 1);
    for (int i = 0; i < n; i++) x[i] = (x1 - dx) + i * step;
    x[n - 1] = x2 + dx;
    for (int i = 1; i < n - 1; i++) {
        double p = 1 - fabs(1 - 4 * fabs((x[i] - xm) / (x2 - x1)));
        for (int j = 1; j < n - 1; j++) {
            double q = 1 - fabs(1 - 4 * fabs((x[j] - xm) / (x2 - x1)));
            a[i * n + j] = p * q;
        }
    }
    double t0 = now();
    for (int s = 0; s < nsteps; s++) {
#pragma omp parallel for schedule(static)
        for (int i = 1; i < n - 1; i++)
            for (int j = 1; j < n - 1; j++) {
                double c = a[i * n + j];
                b[i * n + j] = c + k * ((((a[(i + 1) * n + j] + a[(i - 1) * n + j]) + a[i * n + j + 1]) +
                                         a[i * n + j - 1]) - 4 * c);
            }
        double *t = a;
        a = b;
        b = t;
    }
    double t1 = now();
    double sum = 0;
    for (long i = 0; i < (long)n * n; i++) sum += a[i];
    printf("%.4f %.17g\n", t1 - t0, sum);
    return 0;
}
