// A fast connect() client for scripts/bench/bench-live.ts: n non-blocking IPv4 connects to ip:port, at most
// `parallel` in flight, paced to `rate` per second (0: as fast as it goes). Prints
// {"codes":{"ECONNREFUSED":n,...},"ms":elapsed,"rate":achieved}. Bounded: gives up after `ms` milliseconds.
//   cc -O2 -o connect-burst connect-burst.c && ./connect-burst 10.199.0.1 9000 30000 1000 0 60000

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

#define MAX_ERRNO 256
static long counts[MAX_ERRNO + 1];  // counts[0]: connected

static void count(int err) { counts[err >= 0 && err < MAX_ERRNO ? err : MAX_ERRNO]++; }

int main(int argc, char** argv) {
  if (argc < 7) {
    fprintf(stderr, "usage: %s ip port n parallel rate timeout-ms\n", argv[0]);
    return 2;
  }
  struct sockaddr_in to;
  memset(&to, 0, sizeof to);
  to.sin_family = AF_INET;
  to.sin_port = htons((unsigned short)atoi(argv[2]));
  if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) return 2;
  long n = atol(argv[3]), par = atol(argv[4]);
  double rate = atof(argv[5]), limit = atof(argv[6]);
  int ep = epoll_create1(0);
  long started = 0, done = 0, active = 0;
  double t0 = now_ms();
  struct epoll_event evs[256];
  while (done < n && now_ms() - t0 < limit) {
    while (active < par && started < n && (rate <= 0 || started < rate * (now_ms() - t0) / 1e3)) {
      int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (s < 0) { count(errno); started++; done++; continue; }
      started++;
      if (connect(s, (struct sockaddr*)&to, sizeof to) == 0) { count(0); close(s); done++; continue; }
      if (errno != EINPROGRESS) { count(errno); close(s); done++; continue; }
      struct epoll_event e = {.events = EPOLLOUT, .data = {.fd = s}};
      epoll_ctl(ep, EPOLL_CTL_ADD, s, &e);
      active++;
    }
    int k = epoll_wait(ep, evs, 256, 1);
    for (int i = 0; i < k; i++) {
      int s = evs[i].data.fd, err = 0;
      socklen_t len = sizeof err;
      getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len);
      count(err);
      close(s);
      active--;
      done++;
    }
  }
  double ms = now_ms() - t0;
  printf("{\"codes\":{");
  int first = 1;
  for (int e = 0; e <= MAX_ERRNO; e++) {
    if (counts[e] == 0) continue;
    const char* name = e == 0 ? "OK" : e == ECONNREFUSED ? "ECONNREFUSED" : e == ETIMEDOUT ? "ETIMEDOUT" : e == EADDRNOTAVAIL ? "EADDRNOTAVAIL" : NULL;
    if (name != NULL) printf("%s\"%s\":%ld", first ? "" : ",", name, counts[e]);
    else printf("%s\"errno %d\":%ld", first ? "" : ",", e, counts[e]);
    first = 0;
  }
  if (done < n) printf("%s\"UNFINISHED\":%ld", first ? "" : ",", n - done);
  printf("},\"ms\":%.1f,\"rate\":%.0f}\n", ms, done / (ms / 1e3));
  return 0;
}
