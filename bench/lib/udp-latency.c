/*
 * Open-loop UDP DNS load at a fixed rate with per-query latency, timed as close to the socket as Linux allows:
 * each query is sent at its own due time (absolute deadlines, one datagram each, never a burst to catch up
 * with a coarse timer), its send time read just before sendto(), and its answer's time is the kernel's receive
 * timestamp (SO_TIMESTAMPNS), so the generator's own wake-up after the answer arrived is not counted.
 * Between sends it sleeps in ppoll() with a nanosecond timeout (timer slack 1 ns); with a real-time priority
 * (argument 5, needs root or CAP_SYS_NICE; 0 = none) other processes on its core do not delay it.
 *
 * Usage: udp-latency PORT QUERY_FILE RATE SECONDS [RT_PRIORITY]
 * QUERY_FILE has dnsperf's "name TYPE" lines, sent in turn. Prints one JSON line, the shape of
 * latency-load.mjs: { sent, answered, p50Us, p90Us, p99Us, maxUs, unanswered: [first, last] s | null }
 * plus p999Us and rt (whether the real-time priority was taken).
 * Built by bench/lib/load-generator.ts with the system's cc when the bench runs (no package needed).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_QUERIES 200000
#define IDS 65536

static uint8_t *packets[MAX_QUERIES];
static uint16_t lengths[MAX_QUERIES];
static int64_t sent_at[IDS]; /* ns, CLOCK_REALTIME (the clock SO_TIMESTAMPNS uses); 0 = none waiting */

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int qtype_of(const char *type) {
  if (strcmp(type, "AAAA") == 0) return 28;
  if (strcmp(type, "HTTPS") == 0) return 65;
  if (strcmp(type, "TXT") == 0) return 16;
  if (strcmp(type, "MX") == 0) return 15;
  return 1;
}

/* One query's wire bytes: header (id set at send), one question, class IN. */
static int build(const char *name, int qtype, uint8_t *out) {
  memset(out, 0, 12);
  out[2] = 0x01; /* RD */
  out[5] = 1;    /* QDCOUNT */
  int at = 12;
  const char *label = name;
  while (*label) {
    const char *dot = strchr(label, '.');
    int len = dot ? (int)(dot - label) : (int)strlen(label);
    if (len > 63 || at + len + 6 > 300) return -1;
    if (len > 0) {
      out[at++] = (uint8_t)len;
      memcpy(out + at, label, len);
      at += len;
    }
    if (!dot) break;
    label = dot + 1;
  }
  out[at++] = 0;
  out[at++] = (uint8_t)(qtype >> 8);
  out[at++] = (uint8_t)qtype;
  out[at++] = 0;
  out[at++] = 1;
  return at;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double *latencies; /* µs */
static long answered;

static void drain(int fd) {
  uint8_t buf[1500];
  char control[256];
  for (;;) {
    struct iovec iov = {buf, sizeof buf};
    struct msghdr msg = {0};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
    if (n < 0) return;
    if (n < 2) continue;
    int64_t at = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
        struct timespec t;
        memcpy(&t, CMSG_DATA(c), sizeof t);
        at = (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
      }
    }
    if (at == 0) at = now_ns();
    int id = (buf[0] << 8) | buf[1];
    if (sent_at[id] > 0) {
      latencies[answered++] = (double)(at - sent_at[id]) / 1000.0;
      sent_at[id] = 0;
    }
  }
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: udp-latency PORT QUERY_FILE RATE SECONDS [RT_PRIORITY]\n");
    return 2;
  }
  int port = atoi(argv[1]);
  double rate = atof(argv[3]), seconds = atof(argv[4]);
  int rt = argc > 5 ? atoi(argv[5]) : 0;
  FILE *file = fopen(argv[2], "r");
  if (!file) {
    fprintf(stderr, "udp-latency: cannot read %s: %s\n", argv[2], strerror(errno));
    return 2;
  }
  int count = 0;
  char line[512], name[300], type[16];
  while (count < MAX_QUERIES && fgets(line, sizeof line, file)) {
    type[0] = 0;
    if (sscanf(line, "%299s %15s", name, type) < 1) continue;
    uint8_t wire[310];
    int len = build(name, qtype_of(type), wire);
    if (len < 0) continue;
    packets[count] = malloc(len);
    memcpy(packets[count], wire, len);
    lengths[count++] = (uint16_t)len;
  }
  fclose(file);
  if (count == 0) {
    fprintf(stderr, "udp-latency: no queries in %s\n", argv[2]);
    return 2;
  }
  long total = (long)(rate * seconds + 0.5);
  latencies = malloc(sizeof(double) * (total + 1));

  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  int on = 1, size = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  struct sockaddr_in to = {0};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&to, sizeof to) != 0) {
    fprintf(stderr, "udp-latency: connect: %s\n", strerror(errno));
    return 2;
  }
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  int rt_taken = 0;
  if (rt > 0) {
    struct sched_param param = {.sched_priority = rt};
    rt_taken = sched_setscheduler(0, SCHED_FIFO, &param) == 0;
  }

  int64_t began = now_ns();
  double interval = 1e9 / rate;
  struct pollfd pfd = {fd, POLLIN, 0};
  for (long i = 0; i < total; i++) {
    int64_t due = began + (int64_t)(i * interval);
    for (;;) {
      drain(fd);
      int64_t wait = due - now_ns();
      if (wait <= 0) break;
      struct timespec timeout = {wait / 1000000000LL, wait % 1000000000LL};
      ppoll(&pfd, 1, &timeout, NULL);
    }
    uint8_t *packet = packets[i % count];
    int id = (int)(i & 0xffff);
    packet[0] = (uint8_t)(id >> 8);
    packet[1] = (uint8_t)id;
    sent_at[id] = now_ns();
    send(fd, packet, lengths[i % count], 0);
  }
  int64_t end = now_ns() + 1000000000LL; /* one second for the last answers */
  for (int64_t left; (left = end - now_ns()) > 0;) {
    drain(fd);
    struct timespec timeout = {left / 1000000000LL, left % 1000000000LL};
    ppoll(&pfd, 1, &timeout, NULL);
  }
  drain(fd);

  /* Ids still waiting were never answered (ids repeat after 65,536 queries: then only the last round's). */
  double first = -1, last = -1;
  for (int id = 0; id < IDS; id++) {
    if (sent_at[id] == 0) continue;
    double at = (double)(sent_at[id] - began) / 1e9;
    if (first < 0 || at < first) first = at;
    if (at > last) last = at;
  }
  qsort(latencies, answered, sizeof(double), cmp_double);
#define AT(q) (answered ? latencies[(long)((q) * answered) < answered ? (long)((q) * answered) : answered - 1] : 0)
  printf("{\"sent\":%ld,\"answered\":%ld,\"p50Us\":%.0f,\"p90Us\":%.0f,\"p99Us\":%.0f,\"p999Us\":%.0f,"
         "\"maxUs\":%.0f,\"rt\":%s,\"unanswered\":",
         total, answered, AT(0.5), AT(0.9), AT(0.99), AT(0.999), answered ? latencies[answered - 1] : 0.0,
         rt_taken ? "true" : "false");
  if (first < 0) printf("null}\n");
  else printf("[%.2f,%.2f]}\n", first, last);
  return 0;
}
