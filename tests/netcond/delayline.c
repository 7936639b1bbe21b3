/* gws-delayline: delay and jitter for the network-conditions rig.
 *
 * The kernel here has no netem and no nftables `queue`, so a path cannot be
 * given latency in the kernel. This program is the next best thing: a
 * user-space Ethernet bridge with a delay line. It runs in a middle network
 * namespace holding two veth ends, one towards each side (netpaths.py
 * builds this for a "delayed" path), reads every frame arriving on one with
 * a raw packet socket and sends it out of the other once its delay has
 * passed. Frames are not changed (ARP, IP, UDP, TCP alike), so both sides
 * see one ordinary Ethernet link, only slower: ICE, DTLS, tbf caps and
 * nftables loss rules at the ends work as on a direct veth.
 *
 *   gws-delayline IF_A IF_B --delay MS [--jitter MS] [--seed S]
 *
 * Each frame is held `delay` ms plus a uniform random amount in
 * [-jitter, +jitter] (at least 0), in each direction on its own, but never
 * sent before the frame queued ahead of it: the path stays in order, like a
 * queue whose waiting time varies, so jitter shows as bunching, not
 * reordering. Up to 16384 frames wait per direction; beyond that a frame is
 * dropped (a full queue). `--delay` and `--jitter` can be changed while it
 * runs: a line "delay MS JITTER" on stdin (answered "ok").
 *
 * One thread: ppoll() on both sockets and stdin, with the earliest release
 * as the timeout. Prints "ready" once both sockets are bound; runs until
 * SIGTERM/SIGINT, then prints its counts on stderr. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_HELD 16384
#define MAX_FRAME 65536

struct frame {
  int64_t due_us;
  size_t len;
  unsigned char *data;
};

/* One direction: frames read on `in`, sent on `out`, in release order. */
struct direction {
  int in, out;
  struct frame ring[MAX_HELD];
  unsigned head, len;
  int64_t last_due_us;
  unsigned long long forwarded, dropped;
};

static struct direction dirs[2];
static int64_t delay_us, jitter_us;
static volatile sig_atomic_t stopping;

static int64_t
now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t
frame_delay_us(void) {
  if (jitter_us <= 0)
    return delay_us;
  int64_t span = 2 * jitter_us + 1;
  int64_t d = delay_us - jitter_us + (int64_t)(drand48() * (double)span);
  return d < 0 ? 0 : d;
}

static int
open_port(const char *ifname) {
  unsigned idx = if_nametoindex(ifname);
  if (!idx) {
    fprintf(stderr, "gws-delayline: no interface %s\n", ifname);
    return -1;
  }
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_ALL));
  if (fd < 0) {
    fprintf(stderr, "gws-delayline: packet socket: %s\n", strerror(errno));
    return -1;
  }
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = (int)idx;
  if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) {
    fprintf(stderr, "gws-delayline: bind %s: %s\n", ifname, strerror(errno));
    close(fd);
    return -1;
  }
  /* Every frame, whatever its destination MAC. */
  struct packet_mreq mr;
  memset(&mr, 0, sizeof mr);
  mr.mr_ifindex = (int)idx;
  mr.mr_type = PACKET_MR_PROMISC;
  setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr);
  /* Frames come with a virtio-net header, passed on as is when they are
   * sent: a local sender's veth leaves UDP/TCP checksums to "the hardware"
   * (CHECKSUM_PARTIAL) and may hand over segments larger than the MTU
   * (GSO); with the header the sending side completes both, as a VM's
   * virtio NIC would. Without it those frames arrive with bad checksums. */
  int one = 1;
  if (setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one) < 0) {
    fprintf(stderr, "gws-delayline: PACKET_VNET_HDR on %s: %s\n", ifname,
        strerror(errno));
    close(fd);
    return -1;
  }
  int buf = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  return fd;
}

/* Reads what waits on d->in into the delay line. */
static void
take_frames(struct direction *d, unsigned char *buf) {
  for (;;) {
    struct sockaddr_ll from;
    socklen_t fromlen = sizeof from;
    ssize_t n = recvfrom(
        d->in, buf, MAX_FRAME, 0, (struct sockaddr *)&from, &fromlen);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return; /* EAGAIN */
    }
    /* Our own sends on this port show up here too. */
    if (from.sll_pkttype == PACKET_OUTGOING)
      continue;
    if (d->len == MAX_HELD) {
      d->dropped++;
      continue;
    }
    unsigned char *copy = malloc((size_t)n);
    if (!copy) {
      d->dropped++;
      continue;
    }
    memcpy(copy, buf, (size_t)n);
    int64_t due = now_us() + frame_delay_us();
    if (due < d->last_due_us)
      due = d->last_due_us; /* stay in order */
    d->last_due_us = due;
    d->ring[(d->head + d->len) % MAX_HELD]
        = (struct frame){due, (size_t)n, copy};
    d->len++;
  }
}

/* Sends the frames whose time has come (all of them with @all). */
static void
release(struct direction *d, int64_t now, int all) {
  while (d->len > 0 && (all || d->ring[d->head].due_us <= now)) {
    struct frame *f = &d->ring[d->head];
    if (send(d->out, f->data, f->len, 0) < 0)
      d->dropped++;
    else
      d->forwarded++;
    free(f->data);
    d->head = (d->head + 1) % MAX_HELD;
    d->len--;
  }
}

/* "delay MS JITTER" on stdin changes the delay line for later frames. */
static int
read_command(void) {
  char line[256];
  if (!fgets(line, sizeof line, stdin))
    return -1;
  double dms, jms = 0;
  if (sscanf(line, "delay %lf %lf", &dms, &jms) >= 1 && dms >= 0 && jms >= 0) {
    delay_us = (int64_t)(dms * 1000);
    jitter_us = (int64_t)(jms * 1000);
    printf("ok\n");
  } else {
    printf("error: expected \"delay MS [JITTER]\"\n");
  }
  fflush(stdout);
  return 0;
}

static void
on_signal(int sig) {
  (void)sig;
  stopping = 1;
}

static void
usage(void) {
  fprintf(stderr, "usage: gws-delayline IF_A IF_B --delay MS [--jitter MS] "
                  "[--seed S]\n");
}

int
main(int argc, char **argv) {
  long seed = 1;
  double delay_ms = -1, jitter_ms = 0;
  static const struct option opts[] = {
      {"delay", required_argument, NULL, 'd'},
      {"jitter", required_argument, NULL, 'j'},
      {"seed", required_argument, NULL, 's'},
      {NULL, 0, NULL, 0},
  };
  int c;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (c) {
      case 'd':
        delay_ms = atof(optarg);
        break;
      case 'j':
        jitter_ms = atof(optarg);
        break;
      case 's':
        seed = atol(optarg);
        break;
      default:
        usage();
        return 2;
    }
  }
  if (argc - optind != 2 || delay_ms < 0 || jitter_ms < 0) {
    usage();
    return 2;
  }
  delay_us = (int64_t)(delay_ms * 1000);
  jitter_us = (int64_t)(jitter_ms * 1000);
  srand48(seed);

  int a = open_port(argv[optind]), b = open_port(argv[optind + 1]);
  if (a < 0 || b < 0)
    return 1;
  dirs[0].in = a;
  dirs[0].out = b;
  dirs[1].in = b;
  dirs[1].out = a;

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  printf("ready\n");
  fflush(stdout);

  static unsigned char buf[MAX_FRAME];
  int stdin_open = 1;
  while (!stopping) {
    int64_t now = now_us();
    int64_t next = -1;
    for (int i = 0; i < 2; i++) {
      release(&dirs[i], now, 0);
      if (dirs[i].len > 0) {
        int64_t due = dirs[i].ring[dirs[i].head].due_us;
        if (next < 0 || due < next)
          next = due;
      }
    }
    struct timespec timeout, *tp = NULL;
    if (next >= 0) {
      int64_t wait = next > now ? next - now : 0;
      timeout.tv_sec = wait / 1000000;
      timeout.tv_nsec = (wait % 1000000) * 1000;
      tp = &timeout;
    }
    struct pollfd pfd[3]
        = {{a, POLLIN, 0}, {b, POLLIN, 0}, {stdin_open ? 0 : -1, POLLIN, 0}};
    int r = ppoll(pfd, 3, tp, NULL);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      fprintf(stderr, "gws-delayline: poll: %s\n", strerror(errno));
      break;
    }
    if (pfd[0].revents & POLLIN)
      take_frames(&dirs[0], buf);
    if (pfd[1].revents & POLLIN)
      take_frames(&dirs[1], buf);
    if (pfd[2].revents & (POLLIN | POLLHUP)) {
      if (read_command() < 0)
        stdin_open = 0; /* no more commands */
    }
  }
  for (int i = 0; i < 2; i++)
    release(&dirs[i], 0, 1);
  fprintf(stderr,
      "gws-delayline: %llu + %llu frames forwarded, %llu + %llu dropped\n",
      dirs[0].forwarded, dirs[1].forwarded, dirs[0].dropped, dirs[1].dropped);
  return 0;
}
