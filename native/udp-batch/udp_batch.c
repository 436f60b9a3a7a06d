/*
 * udp_batch: a UDP socket for the DNS server that receives and sends in batches (Linux recvmmsg/sendmmsg).
 *
 * Node's dgram costs, per datagram, a Buffer, an rinfo object, one JS<->C++ crossing, one recvmsg and one
 * sendmsg syscall (bench/GAP.md, "latency pass"). Here one readable event reads up to BATCH datagrams with
 * ONE recvmmsg into a receive area JavaScript shares, calls JavaScript ONCE for the whole batch, and sends
 * the answers JavaScript wrote into the shared send area with ONE sendmmsg.
 *
 * Pure node_api.h plus libuv's uv_poll_t on the calling thread's loop, so each DNS worker thread (its own
 * isolate and loop) can load it: nothing here is global, all state hangs off one socket's struct.
 *
 * Shared layout (JavaScript allocates the buffers and passes them to start()):
 *   recv area:  BATCH slots of SLOT bytes; datagram i starts at i * SLOT.
 *   recv table: BATCH entries of 8 uint32: [length, port, family (4|6), truncated, address bytes x16].
 *   send area:  answers packed by JavaScript.
 *   send table: BATCH entries of 4 uint32: [offset, length, receive index, 0]; the answer goes back to the
 *               source address of datagram `receive index` of this batch.
 * The callback gets the batch's datagram count and returns how many answers it wrote.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <node_api.h>
#include <uv.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#define BATCH 64
#define SLOT 4096
#define RECV_ENTRY_WORDS 8
#define SEND_ENTRY_WORDS 4
/* Batches read per readable event before the loop gets a turn (timers, other sockets, upstream answers). */
#define ROUNDS_PER_EVENT 8

typedef struct {
  int fd;
  int family;
  int closing;
  int refs; /* the JS handle's finalizer and the uv handle's close each drop one */
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_ref buffers[4];
  napi_async_context async;
  uint8_t *recv_area;
  uint32_t *recv_table;
  uint8_t *send_area;
  size_t send_area_len;
  uint32_t *send_table;
  struct mmsghdr recv_msgs[BATCH];
  struct iovec recv_iov[BATCH];
  struct sockaddr_storage addrs[BATCH];
  struct mmsghdr send_msgs[BATCH];
  struct iovec send_iov[BATCH];
  /* Counters JavaScript can read with stats(): what never reached a client. */
  double send_errors;
  double send_dropped;
  double recv_errors;
} udp_sock;

static void cleanup_hook(void *arg);

static void release(udp_sock *s) {
  if (--s->refs == 0) free(s);
}

static napi_value throw_errno(napi_env env, int err, const char *syscall) {
  const char *code = NULL;
  switch (err) {
    case EADDRINUSE: code = "EADDRINUSE"; break;
    case EACCES: code = "EACCES"; break;
    case EPERM: code = "EPERM"; break;
    case EADDRNOTAVAIL: code = "EADDRNOTAVAIL"; break;
    case EINVAL: code = "EINVAL"; break;
    case EAFNOSUPPORT: code = "EAFNOSUPPORT"; break;
    default: code = "EUNKNOWN"; break;
  }
  char message[160];
  snprintf(message, sizeof message, "%s %s (%s)", syscall, code, strerror(err));
  napi_value msg, codev, error, sys;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &codev);
  napi_create_error(env, codev, msg, &error);
  napi_set_named_property(env, error, "code", codev);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sys);
  napi_set_named_property(env, error, "syscall", sys);
  napi_throw(env, error);
  return NULL;
}

static udp_sock *get_sock(napi_env env, napi_value value) {
  void *data = NULL;
  if (napi_get_value_external(env, value, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "udp_batch: not a socket handle");
    return NULL;
  }
  return (udp_sock *)data;
}

static void finalize_handle(napi_env env, void *data, void *hint) {
  release((udp_sock *)data);
}

static int parse_address(int family, const char *text, int port, struct sockaddr_storage *out, socklen_t *len) {
  memset(out, 0, sizeof *out);
  if (family == 6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)out;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, text, &a->sin6_addr) != 1) return -1;
    *len = sizeof *a;
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)out;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, text, &a->sin_addr) != 1) return -1;
    *len = sizeof *a;
  }
  return 0;
}

/*
 * A socket of `type` bound to address:port, IPv6 ones taking IPv4-mapped clients too (as Node's do), with
 * SO_REUSEPORT when asked. Returns the descriptor, or throws (code, syscall) and returns -1.
 */
static int open_bound(napi_env env, int family, const char *address, int port, int type, bool reuse_port) {
  struct sockaddr_storage addr;
  socklen_t addr_len;
  if (parse_address(family, address, port, &addr, &addr_len) != 0) {
    throw_errno(env, EINVAL, "inet_pton");
    return -1;
  }
  int fd = socket(family == 6 ? AF_INET6 : AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw_errno(env, errno, "socket");
    return -1;
  }
  int one = 1, zero = 0;
  if (family == 6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  /* As libuv does for Node's own TCP servers: a restart rebinds at once past connections in TIME_WAIT. */
  if (type == SOCK_STREAM) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const char *failed = NULL;
  if (reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) failed = "setsockopt";
  else if (bind(fd, (struct sockaddr *)&addr, addr_len) != 0) failed = "bind";
  if (failed != NULL) {
    int err = errno;
    close(fd);
    throw_errno(env, err, failed);
    return -1;
  }
  return fd;
}

/* open(family 4|6, address, port, reusePort, receiveBufferBytes) -> { handle, port } */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t family = 4, port = 0, rcvbuf = 0;
  bool reuse = false;
  char address[64];
  size_t address_len = 0;
  if (argc < 5 || napi_get_value_int32(env, argv[0], &family) != napi_ok ||
      napi_get_value_string_utf8(env, argv[1], address, sizeof address, &address_len) != napi_ok ||
      napi_get_value_int32(env, argv[2], &port) != napi_ok || napi_get_value_bool(env, argv[3], &reuse) != napi_ok ||
      napi_get_value_int32(env, argv[4], &rcvbuf) != napi_ok) {
    napi_throw_type_error(env, NULL, "udp_batch.open(family, address, port, reusePort, receiveBufferBytes)");
    return NULL;
  }
  int fd = open_bound(env, family, address, port, SOCK_DGRAM, reuse);
  if (fd < 0) return NULL;
  /* The kernel caps it at net.core.rmem_max; the default still works. */
  if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  struct sockaddr_storage bound;
  socklen_t bound_len = sizeof bound;
  getsockname(fd, (struct sockaddr *)&bound, &bound_len);
  int bound_port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                     : ((struct sockaddr_in *)&bound)->sin_port);

  udp_sock *s = calloc(1, sizeof *s);
  if (s == NULL) {
    close(fd);
    return throw_errno(env, ENOMEM, "calloc");
  }
  s->fd = fd;
  s->family = family;
  s->env = env;
  s->refs = 1; /* the JS handle; start() adds the uv handle's */
  napi_value handle, result, portv;
  napi_create_external(env, s, finalize_handle, NULL, &handle);
  napi_create_object(env, &result);
  napi_set_named_property(env, result, "handle", handle);
  napi_create_int32(env, bound_port, &portv);
  napi_set_named_property(env, result, "port", portv);
  return result;
}

/*
 * openSharedTcp(family 4|6, address, port) -> fd: a TCP socket bound with SO_REUSEPORT, not yet listening.
 * Node's net offers reusePort only from 22.12 (23.1): on older Node each DNS worker thread opens its listening
 * socket here and Node listens on the descriptor (net.Server.listen({ fd })), which then owns and closes it.
 * The kernel spreads new connections over all such sockets on the port, as it spreads UDP clients.
 */
static napi_value js_open_shared_tcp(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t family = 4, port = 0;
  char address[64];
  size_t address_len = 0;
  if (argc < 3 || napi_get_value_int32(env, argv[0], &family) != napi_ok ||
      napi_get_value_string_utf8(env, argv[1], address, sizeof address, &address_len) != napi_ok ||
      napi_get_value_int32(env, argv[2], &port) != napi_ok) {
    napi_throw_type_error(env, NULL, "udp_batch.openSharedTcp(family, address, port)");
    return NULL;
  }
  int fd = open_bound(env, family, address, port, SOCK_STREAM, true);
  if (fd < 0) return NULL;
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}

static void send_batch(udp_sock *s, uint32_t count) {
  if (count > BATCH) count = BATCH;
  uint32_t n = 0;
  for (uint32_t j = 0; j < count; j++) {
    uint32_t *e = s->send_table + j * SEND_ENTRY_WORDS;
    uint32_t off = e[0], len = e[1], idx = e[2];
    if (idx >= BATCH || off > s->send_area_len || len > s->send_area_len - off) continue;
    s->send_iov[n].iov_base = s->send_area + off;
    s->send_iov[n].iov_len = len;
    struct msghdr *h = &s->send_msgs[n].msg_hdr;
    memset(h, 0, sizeof *h);
    h->msg_name = &s->addrs[idx];
    h->msg_namelen = s->recv_msgs[idx].msg_hdr.msg_namelen;
    h->msg_iov = &s->send_iov[n];
    h->msg_iovlen = 1;
    n++;
  }
  uint32_t start = 0;
  while (start < n) {
    int sent = sendmmsg(s->fd, s->send_msgs + start, n - start, MSG_DONTWAIT);
    if (sent > 0) {
      start += (uint32_t)sent; /* a short send: the rest is retried from where it stopped */
    } else if (sent < 0 && errno == EINTR) {
      continue;
    } else if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
      /* The socket's send buffer is full: UDP may drop, the clients retry. */
      s->send_dropped += n - start;
      break;
    } else {
      /* This one client cannot be reached (or its answer is refused): skip it, keep the others. */
      s->send_errors++;
      start++;
    }
  }
}

static void on_readable(uv_poll_t *poll, int status, int events) {
  udp_sock *s = (udp_sock *)poll->data;
  if (s->closing || status < 0) return;
  napi_env env = s->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value callback, recv_obj;
  napi_get_reference_value(env, s->callback, &callback);
  napi_get_reference_value(env, s->buffers[0], &recv_obj);
  for (int round = 0; round < ROUNDS_PER_EVENT && !s->closing; round++) {
    for (int i = 0; i < BATCH; i++) {
      s->recv_iov[i].iov_base = s->recv_area + (size_t)i * SLOT;
      s->recv_iov[i].iov_len = SLOT;
      struct msghdr *h = &s->recv_msgs[i].msg_hdr;
      h->msg_name = &s->addrs[i];
      h->msg_namelen = sizeof s->addrs[i];
      h->msg_iov = &s->recv_iov[i];
      h->msg_iovlen = 1;
      h->msg_control = NULL;
      h->msg_controllen = 0;
      h->msg_flags = 0;
    }
    int got = recvmmsg(s->fd, s->recv_msgs, BATCH, MSG_DONTWAIT, NULL);
    if (got < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) s->recv_errors++;
      break;
    }
    if (got == 0) break;
    for (int i = 0; i < got; i++) {
      uint32_t *e = s->recv_table + i * RECV_ENTRY_WORDS;
      e[0] = s->recv_msgs[i].msg_len;
      e[3] = (s->recv_msgs[i].msg_hdr.msg_flags & MSG_TRUNC) ? 1 : 0;
      if (s->addrs[i].ss_family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&s->addrs[i];
        e[1] = ntohs(a->sin6_port);
        e[2] = 6;
        memcpy(e + 4, &a->sin6_addr, 16);
      } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&s->addrs[i];
        e[1] = ntohs(a->sin_port);
        e[2] = 4;
        memset(e + 4, 0, 16);
        memcpy(e + 4, &a->sin_addr, 4);
      }
    }
    napi_value argv[1], result;
    napi_create_int32(env, got, &argv[0]);
    result = NULL;
    napi_status st = napi_make_callback(env, s->async, recv_obj, callback, 1, argv, &result);
    if (st == napi_pending_exception) {
      /* The handler catches per query; anything escaping is a bug: report it like an uncaught error. */
      napi_value error;
      napi_get_and_clear_last_exception(env, &error);
      napi_fatal_exception(env, error);
      break;
    }
    uint32_t answers = 0;
    if (st == napi_ok && result != NULL) napi_get_value_uint32(env, result, &answers);
    if (answers > 0 && !s->closing) send_batch(s, answers);
    if (got < BATCH) break; /* drained */
  }
  napi_close_handle_scope(env, scope);
}

/* start(handle, recvArea, recvTable, sendArea, sendTable, callback) */
static napi_value js_start(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 6) {
    napi_throw_type_error(env, NULL, "udp_batch.start(handle, recvArea, recvTable, sendArea, sendTable, callback)");
    return NULL;
  }
  udp_sock *s = get_sock(env, argv[0]);
  if (s == NULL) return NULL;
  if (s->callback != NULL || s->closing) {
    napi_throw_error(env, NULL, "udp_batch: socket already started or closed");
    return NULL;
  }
  void *data[4];
  size_t lens[4];
  const size_t need[4] = {(size_t)BATCH * SLOT, (size_t)BATCH * RECV_ENTRY_WORDS * 4, SLOT,
                          (size_t)BATCH * SEND_ENTRY_WORDS * 4};
  for (int i = 0; i < 4; i++) {
    if (napi_get_buffer_info(env, argv[1 + i], &data[i], &lens[i]) != napi_ok || lens[i] < need[i] ||
        ((uintptr_t)data[i] & 3) != 0) {
      napi_throw_type_error(env, NULL, "udp_batch.start: a shared buffer is missing, too small or unaligned");
      return NULL;
    }
  }
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) {
    napi_throw_error(env, NULL, "udp_batch: no event loop");
    return NULL;
  }
  if (uv_poll_init(loop, &s->poll, s->fd) != 0) return throw_errno(env, EINVAL, "uv_poll_init");
  s->refs++;
  s->poll.data = s;
  for (int i = 0; i < 4; i++) napi_create_reference(env, argv[1 + i], 1, &s->buffers[i]);
  napi_create_reference(env, argv[5], 1, &s->callback);
  napi_value name;
  napi_create_string_utf8(env, "TracksinkUdpBatch", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &s->async);
  s->recv_area = data[0];
  s->recv_table = data[1];
  s->send_area = data[2];
  s->send_area_len = lens[2];
  s->send_table = data[3];
  napi_add_env_cleanup_hook(env, cleanup_hook, s);
  uv_poll_start(&s->poll, UV_READABLE, on_readable);
  return NULL;
}

/* sendTo(handle, buffer, address, port): one answer outside a batch (forwarded queries answered later). */
static napi_value js_send_to(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  udp_sock *s = argc >= 4 ? get_sock(env, argv[0]) : NULL;
  if (s == NULL) return NULL;
  if (s->closing) return NULL;
  void *data;
  size_t len;
  char address[64];
  size_t address_len;
  int32_t port;
  if (napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok ||
      napi_get_value_string_utf8(env, argv[2], address, sizeof address, &address_len) != napi_ok ||
      napi_get_value_int32(env, argv[3], &port) != napi_ok) {
    napi_throw_type_error(env, NULL, "udp_batch.sendTo(handle, buffer, address, port)");
    return NULL;
  }
  struct sockaddr_storage addr;
  socklen_t addr_len;
  if (parse_address(s->family, address, port, &addr, &addr_len) != 0) {
    s->send_errors++;
    return NULL;
  }
  for (;;) {
    ssize_t r = sendto(s->fd, data, len, MSG_DONTWAIT, (struct sockaddr *)&addr, addr_len);
    if (r >= 0) break;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) s->send_dropped++;
    else s->send_errors++;
    break;
  }
  return NULL;
}

/* formatAddress(handle, index): the source address of datagram `index` as text, like Node's rinfo.address. */
static napi_value js_format_address(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  udp_sock *s = argc >= 2 ? get_sock(env, argv[0]) : NULL;
  if (s == NULL) return NULL;
  uint32_t idx = 0;
  napi_get_value_uint32(env, argv[1], &idx);
  if (idx >= BATCH) idx = 0;
  char text[INET6_ADDRSTRLEN];
  text[0] = 0;
  if (s->addrs[idx].ss_family == AF_INET6)
    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&s->addrs[idx])->sin6_addr, text, sizeof text);
  else
    inet_ntop(AF_INET, &((struct sockaddr_in *)&s->addrs[idx])->sin_addr, text, sizeof text);
  napi_value result;
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &result);
  return result;
}

static void on_closed(uv_handle_t *handle) {
  udp_sock *s = (udp_sock *)handle->data;
  close(s->fd);
  release(s);
}

static void teardown(udp_sock *s, int from_cleanup_hook) {
  if (s->closing) return;
  s->closing = 1;
  napi_env env = s->env;
  if (s->callback != NULL) {
    if (!from_cleanup_hook) {
      napi_remove_env_cleanup_hook(env, cleanup_hook, s);
      napi_delete_reference(env, s->callback);
      for (int i = 0; i < 4; i++) napi_delete_reference(env, s->buffers[i]);
      napi_async_destroy(env, s->async);
    }
    uv_poll_stop(&s->poll);
    uv_close((uv_handle_t *)&s->poll, on_closed);
  } else {
    close(s->fd);
  }
}

static void cleanup_hook(void *arg) {
  /* The thread's environment ends without close() (a worker terminated): stop polling, close the fd. */
  teardown((udp_sock *)arg, 1);
}

/* close(handle): stops reading; the fd is closed once libuv has let go of it. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  udp_sock *s = argc >= 1 ? get_sock(env, argv[0]) : NULL;
  if (s == NULL) return NULL;
  teardown(s, 0);
  return NULL;
}

/* stats(handle) -> [sendErrors, sendDropped, receiveErrors] */
static napi_value js_stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  udp_sock *s = argc >= 1 ? get_sock(env, argv[0]) : NULL;
  if (s == NULL) return NULL;
  napi_value arr, v;
  napi_create_array_with_length(env, 3, &arr);
  double values[3] = {s->send_errors, s->send_dropped, s->recv_errors};
  for (uint32_t i = 0; i < 3; i++) {
    napi_create_double(env, values[i], &v);
    napi_set_element(env, arr, i, v);
  }
  return arr;
}

/*
 * trimMemory() -> Promise<[released (1|0|-1), microseconds]>: glibc's malloc_trim(0) on libuv's thread pool.
 *
 * Not about sockets, but this is the project's one addon (one build, one file to ship). glibc keeps the pages
 * threads free in its arenas (a list parser thread's heap after it ends, SQLite's caches, Buffers), so resident
 * memory stays at its peak; malloc_trim(0) hands every arena's free pages back with MADV_DONTNEED. It walks and
 * locks each arena in turn, so it runs off the calling thread's loop: the DNS thread never waits for it (a malloc
 * on another thread may wait for one arena's lock meanwhile). released: 1 memory was given back, 0 none,
 * -1 not glibc (nothing to do).
 */
typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  int released;
  double micros;
} trim_job;

static void trim_execute(napi_env env, void *data) {
  trim_job *job = data;
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
#ifdef __GLIBC__
  job->released = malloc_trim(0) ? 1 : 0;
#else
  job->released = -1;
#endif
  clock_gettime(CLOCK_MONOTONIC, &b);
  job->micros = (double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3;
}

static void trim_complete(napi_env env, napi_status status, void *data) {
  trim_job *job = data;
  napi_value result, v;
  napi_create_array_with_length(env, 2, &result);
  napi_create_int32(env, status == napi_ok ? job->released : 0, &v);
  napi_set_element(env, result, 0, v);
  napi_create_double(env, job->micros, &v);
  napi_set_element(env, result, 1, v);
  napi_resolve_deferred(env, job->deferred, result);
  napi_delete_async_work(env, job->work);
  free(job);
}

static napi_value js_trim_memory(napi_env env, napi_callback_info info) {
  napi_value promise, name;
  trim_job *job = calloc(1, sizeof *job);
  if (job == NULL) {
    napi_throw_error(env, NULL, "trimMemory: out of memory");
    return NULL;
  }
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, "tracksink:trimMemory", NAPI_AUTO_LENGTH, &name);
  int created = napi_create_async_work(env, NULL, name, trim_execute, trim_complete, job, &job->work) == napi_ok;
  if (!created || napi_queue_async_work(env, job->work) != napi_ok) {
    napi_value err;
    if (created) napi_delete_async_work(env, job->work);
    napi_create_string_utf8(env, "trimMemory: could not queue the work", NAPI_AUTO_LENGTH, &err);
    napi_reject_deferred(env, job->deferred, err);
    free(job);
  }
  return promise;
}

/*
 * mallocStats() -> [arena, mmapped, inUse, free, topReleasable] bytes over every glibc arena (mallinfo2), or null
 * without glibc: what malloc holds from the system, how much of it live allocations use, and how much is free
 * but still resident until a trim. For the bench's memory breakdown (bench/lib/footprint-probe.mjs).
 */
static napi_value js_malloc_stats(napi_env env, napi_callback_info info) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  struct mallinfo2 mi = mallinfo2();
  double values[5] = {(double)mi.arena, (double)mi.hblkhd, (double)mi.uordblks, (double)mi.fordblks,
                      (double)mi.keepcost};
  napi_value arr, v;
  napi_create_array_with_length(env, 5, &arr);
  for (uint32_t i = 0; i < 5; i++) {
    napi_create_double(env, values[i], &v);
    napi_set_element(env, arr, i, v);
  }
  return arr;
#else
  napi_value null_value;
  napi_get_null(env, &null_value);
  return null_value;
#endif
}

NAPI_MODULE_INIT() {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
      {"openSharedTcp", NULL, js_open_shared_tcp, NULL, NULL, NULL, napi_default, NULL},
      {"start", NULL, js_start, NULL, NULL, NULL, napi_default, NULL},
      {"sendTo", NULL, js_send_to, NULL, NULL, NULL, napi_default, NULL},
      {"formatAddress", NULL, js_format_address, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
      {"stats", NULL, js_stats, NULL, NULL, NULL, napi_default, NULL},
      {"trimMemory", NULL, js_trim_memory, NULL, NULL, NULL, napi_default, NULL},
      {"mallocStats", NULL, js_malloc_stats, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  napi_value batch, slot;
  napi_create_int32(env, BATCH, &batch);
  napi_create_int32(env, SLOT, &slot);
  napi_set_named_property(env, exports, "BATCH", batch);
  napi_set_named_property(env, exports, "SLOT", slot);
  return exports;
}
