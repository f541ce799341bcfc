/* What a rank whose core is shared with another busy process costs the rank
 * it exchanges with: two processes ping-pong EXCHANGES times; the first, on
 * CPU 0, works LEAD microseconds between exchanges, the second, on CPU 1
 * (where scripts/shared_core_probe.sh runs `yes`), works PARTNER
 * microseconds, and waits for each message in one of three ways:
 *
 *   block  a blocking read: the kernel wakes it when the message arrives;
 *   nap    polls, sleeping 20 us doubling to 200 us between polls, as a
 *          rank polling MPI with pauses does;
 *   spin   polls without pause for 200 us, then naps.
 *
 * Prints the seconds the exchanges took and the ideal, EXCHANGES * LEAD (the
 * partner's work hidden behind the lead's). Usage:
 *   shared_core_probe block|nap|spin LEAD PARTNER EXCHANGES
 */
#define _GNU_SOURCE
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* Busy work for `seconds`. */
static void work(double seconds) {
    double end = now() + seconds;
    volatile double x = 1.0;
    while (now() < end) x *= 1.0000001;
}

static void pin(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) perror("sched_setaffinity");
}

/* Waits until `fd` has a byte, as `mode` says (the read that follows takes it). */
static void await(int fd, int mode) {
    if (mode == 0) return;
    struct pollfd p = {fd, POLLIN, 0};
    long nap = 20000;
    double start = now();
    while (poll(&p, 1, 0) == 0) {
        if (mode == 2 && now() - start < 200e-6) continue;
        struct timespec t = {0, nap};
        nanosleep(&t, NULL);
        if (nap < 200000) nap *= 2;
    }
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s block|nap|spin LEAD_US PARTNER_US EXCHANGES\n", argv[0]);
        return 2;
    }
    int mode = !strcmp(argv[1], "block") ? 0 : !strcmp(argv[1], "nap") ? 1 : !strcmp(argv[1], "spin") ? 2 : -1;
    double lead = atof(argv[2]) * 1e-6, partner = atof(argv[3]) * 1e-6;
    int exchanges = atoi(argv[4]);
    if (mode < 0 || lead < 0 || partner < 0 || exchanges < 1) {
        fprintf(stderr, "%s: bad arguments\n", argv[0]);
        return 2;
    }
    int to_partner[2], to_lead[2];
    if (pipe(to_partner) || pipe(to_lead)) {
        perror("pipe");
        return 1;
    }
    pid_t child = fork();
    if (child < 0) {
        perror("fork");
        return 1;
    }
    char c = 'x';
    if (child == 0) {
        pin(1);
        for (int i = 0; i < exchanges; i++) {
            await(to_partner[0], mode);
            if (read(to_partner[0], &c, 1) != 1) _exit(1);
            work(partner);
            if (write(to_lead[1], &c, 1) != 1) _exit(1);
        }
        _exit(0);
    }
    pin(0);
    double start = now();
    for (int i = 0; i < exchanges; i++) {
        if (write(to_partner[1], &c, 1) != 1) return 1;
        work(lead);
        if (read(to_lead[0], &c, 1) != 1) return 1;
    }
    double took = now() - start;
    waitpid(child, NULL, 0);
    printf("%-5s lead %4.0f us, partner %4.0f us: %.3f s for %d exchanges (ideal %.3f s)\n",
           argv[1], lead * 1e6, partner * 1e6, took, exchanges, exchanges * lead);
    return 0;
}
