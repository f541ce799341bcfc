/* diff2d.c: the course's 2D diffusion solver (diff2d.cpp) as plain C, the
 * peer that `hpcrs bench` times hpcrs against.
 *
 * Same grid derivation and initial condition as the course; the time loop is
 * the explicit scheme as an HPC programmer writes it by hand: one pass per
 * step over the interior computing the new density from the old one into a
 * second array, then a pointer swap. Compiled with `cc -O3 -march=native`
 * (serial) and with `-fopenmp` added, where `#pragma omp parallel for`
 * splits the rows of every step over the cores (the pragma is ignored
 * without -fopenmp).
 *
 * Usage: diff2d [D x1 x2 runtime dx outtime]   (defaults: the course's)
 * stdout: the simulation time at the start and every nper steps, like the
 *         course's program; stderr: one line of key=value results (seconds of
 *         the time loop, grid, sum and max of the final density).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "clock.h"

int main(int argc, char **argv) {
    double D = 1.0, x1 = -10.0, x2 = 10.0, runtime = 15.0, dx = 0.0667, outtime = 0.5;
    if (argc == 7) {
        D = atof(argv[1]); x1 = atof(argv[2]); x2 = atof(argv[3]);
        runtime = atof(argv[4]); dx = atof(argv[5]); outtime = atof(argv[6]);
    } else if (argc != 1) {
        fprintf(stderr, "usage: %s [D x1 x2 runtime dx outtime]\n", argv[0]);
        return 2;
    }
    /* The course's grid: nrows = int((x2-x1)/dx), dx recomputed, dt = 0.25 dx^2/D. */
    int nrows = (int)((x2 - x1) / dx);
    int n = nrows + 2;
    dx = (x2 - x1) / nrows;
    double dt = 0.25 * dx * dx / D;
    int nsteps = (int)(runtime / dt);
    int nper = (int)(outtime / dt);
    if (nper == 0) nper = 1;

    double *x = malloc(sizeof(double) * n);
    double *dens = calloc((size_t)n * n, sizeof(double));
    double *next = calloc((size_t)n * n, sizeof(double));
    if (!x || !dens || !next) { fprintf(stderr, "out of memory\n"); return 1; }
    for (int i = 0; i < n; i++) /* linspace(x1-dx, x2+dx, n) */
        x[i] = (x1 - dx) + i * ((x2 + dx) - (x1 - dx)) / (n - 1);
    x[n - 1] = x2 + dx;
    double xm = 0.5 * (x1 + x2);
    for (int i = 1; i < n - 1; i++) {
        double a = 1 - fabs(1 - 4 * fabs((x[i] - xm) / (x2 - x1)));
        for (int j = 1; j < n - 1; j++) {
            double b = 1 - fabs(1 - 4 * fabs((x[j] - xm) / (x2 - x1)));
            dens[i * n + j] = a * b;
        }
    }

    double k = D / (dx * dx) * dt;
    double simtime = 0.0;
    printf("%g\n", simtime);
    double t0 = now();
    for (int s = 0; s < nsteps; s++) {
#pragma omp parallel for
        for (int i = 1; i < n - 1; i++) {
            for (int j = 1; j < n - 1; j++) {
                double lap = dens[(i + 1) * n + j] + dens[(i - 1) * n + j]
                           + dens[i * n + j + 1] + dens[i * n + j - 1]
                           - 4 * dens[i * n + j];
                next[i * n + j] = dens[i * n + j] + k * lap;
            }
        }
        double *tmp = dens; dens = next; next = tmp;
        simtime += dt;
        if ((s + 1) % nper == 0) printf("%g\n", simtime);
    }
    double seconds = now() - t0;

    double sum = 0.0, max = 0.0;
    for (int i = 0; i < n * n; i++) {
        sum += dens[i];
        if (dens[i] > max) max = dens[i];
    }
    int threads = 1;
#ifdef _OPENMP
    threads = omp_get_max_threads();
#endif
    fprintf(stderr, "seconds=%.9f nrows=%d nsteps=%d threads=%d sum=%.17g max=%.17g\n",
            seconds, nrows, nsteps, threads, sum, max);
    free(x); free(dens); free(next);
    return 0;
}
