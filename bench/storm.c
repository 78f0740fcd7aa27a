/* Syscall storm generator for bench/bench_sensor.py.
 *
 *   storm MODE SECONDS [RATE]
 *
 * MODE open:    openat("/dev/null") + close per iteration (2 captured syscalls)
 * MODE connect: socket + connect to 127.0.0.1:PORT(refused) + close (3 syscalls)
 * MODE getpid:  getppid per iteration (a syscall the sensor does not capture)
 * RATE:         target syscalls/s (0 = as fast as possible)
 * Prints one JSON line: {"syscalls": N, "seconds": S, "rate": R, "cpu": C} (C: the
 * generator's own CPU seconds, user + system: at a fixed rate the agent's cost shows there).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: storm open|connect|getpid SECONDS [RATE]\n");
		return 2;
	}
	const char *mode = argv[1];
	double seconds = atof(argv[2]);
	double rate = argc > 3 ? atof(argv[3]) : 0;
	int per_iter = !strcmp(mode, "open") ? 2 : !strcmp(mode, "connect") ? 3 : 1;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(9)};
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	unsigned long long iters = 0;
	double start = now(), end = start + seconds, t = start;
	while (t < end) {
		for (int i = 0; i < 256; i++) {
			if (per_iter == 2) {
				int fd = openat(AT_FDCWD, "/dev/null", O_RDONLY);
				close(fd);
			} else if (per_iter == 3) {
				int fd = socket(AF_INET, SOCK_STREAM, 0);
				connect(fd, (struct sockaddr *)&sin, sizeof(sin));
				close(fd);
			} else {
				syscall(SYS_getppid);
			}
		}
		iters += 256;
		t = now();
		if (rate > 0) {
			double due = start + iters * per_iter / rate;
			if (due > t) {
				struct timespec d = {(time_t)(due - t), (long)((due - t - (time_t)(due - t)) * 1e9)};
				nanosleep(&d, NULL);
				t = now();
			}
		}
	}
	double took = t - start;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
		     ru.ru_stime.tv_usec / 1e6;
	printf("{\"syscalls\": %llu, \"seconds\": %.3f, \"rate\": %.0f, \"cpu\": %.4f}\n",
	       iters * per_iter, took, iters * per_iter / took, cpu);
	return 0;
}
