/* gst-webrtc-session: compiled load generator for the relay benchmark.
 *
 * One thread, raw non-blocking sockets, epoll and a minimal WebSocket client
 * framer (RFC 6455: masked client frames, unmasked server frames, pings
 * answered), so that it can offer far more than the relay can take on one
 * core. bench/relay/relay_bench.py runs it pinned to the other core than the
 * relay.
 *
 * What it does, in order, printing one JSON object at the end:
 *  1. opens --pairs producer/consumer pairs in sessions and, for each rate of
 *     --rates, has the producers send ~--size-byte `peer` ICE messages
 *     carrying their send time (CLOCK_MONOTONIC ns) at that total rate for
 *     --seconds; consumers time each arrival ("throughput"). A rate of 0
 *     means closed loop: every pair keeps --window messages in flight, which
 *     finds the relay's ceiling;
 *  2. opens --idle connections that each register as consumers (and wait for
 *     the answer to a `list`), reading the relay's RSS (--relay-pid) before
 *     and after ("idle_memory");
 *  3. repeats the rates with those idle connections open
 *     ("throughput_with_idle").
 * Each throughput entry carries the CPU share of the relay (from /proc) and
 * of the generator itself (getrusage) over the window: a generator well under
 * 100% is not the bottleneck.
 *
 * Usage: relay_load --port P [--relay-pid PID] [--pairs 100] [--size 200]
 *        [--rates 20000,0] [--seconds 4] [--idle 10000] [--window 16]
 *        [--only-idle] (steps 2 and 3 only) */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

int64_t
now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

[[noreturn]] void
die(const std::string &what) {
  fprintf(stderr, "relay_load: %s\n", what.c_str());
  exit(1);
}

/* A JSON string field's value, found by its key (enough for the relay's
 * welcome, sessionStarted and startSession answers). */
std::string
field(const std::string &json, const char *key) {
  std::string pat = std::string("\"") + key + "\"";
  for (size_t at = json.find(pat); at != std::string::npos;
       at = json.find(pat, at + 1)) {
    size_t i = at + pat.size();
    while (i < json.size() && json[i] == ' ')
      i++;
    if (i >= json.size() || json[i] != ':')
      continue;
    i++;
    while (i < json.size() && json[i] == ' ')
      i++;
    if (i >= json.size() || json[i] != '"')
      continue;
    size_t end = json.find('"', i + 1);
    return end == std::string::npos ? std::string()
                                    : json.substr(i + 1, end - i - 1);
  }
  return {};
}

enum class Role { Idle, Producer, Consumer };

struct Conn {
  int fd = -1;
  Role role = Role::Idle;
  size_t pair = 0;
  bool open = false; /* handshake answered */
  std::string in;
  size_t in_off = 0;
  std::string out;
  bool want_out = false;
  bool dead = false; /* closed by the relay (an overloaded baseline does) */
};

class Generator {
 public:
  int port = 0;
  int relay_pid = 0;
  size_t pairs = 100;
  size_t size = 200;
  std::vector<long> rates{20000, 0};
  double seconds = 4;
  size_t idle = 10000;
  size_t window = 16;
  bool only_idle = false; /* skip the series without idle connections */

  void run();

 private:
  /* Connection set-up (blocking-style: drive epoll until a condition). */
  int dial();
  void send_text(Conn &c, const std::string &text);
  void flush(Conn &c);
  bool next_text(Conn &c, std::string &text); /* one parsed text frame */
  void read_some(Conn &c);
  void drop(Conn &c, const char *why);
  bool pairs_ready_ = false;
  bool opening_idle_ = false;
  uint64_t closed_ = 0; /* connections the relay closed */
  std::string wait_text(Conn &c);
  void open_batch(std::vector<Conn *> &batch);

  void make_pairs();
  void open_idle();
  std::string series_entry(long rate);
  void on_readable(Conn &c);

  long rss_kib() const;
  double relay_cpu_s() const;

  int ep_ = -1;
  std::vector<Conn *> conns_; /* by fd */
  std::vector<Conn *> producers_, consumers_;
  std::vector<std::string> session_ids_;
  std::vector<Conn *> idle_;

  /* Measurement state of the current window. */
  bool measuring_ = false;
  std::vector<uint32_t> lat_us_;
  uint64_t received_ = 0, errors_ = 0;
  std::vector<size_t> in_flight_;
  bool closed_loop_ = false;
  std::vector<std::string> templates_;
  size_t stamp_at_ = 0;
  static constexpr size_t kStampDigits = 19;
  std::vector<int> replies_; /* closed loop: what each pair may send next */
  void send_peer(size_t pair, int n);
  void handle_events(epoll_event *evs, int n);
};

int
Generator::dial() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    die(std::string("socket: ") + strerror(errno));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0)
    die(std::string("connect: ") + strerror(errno));
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  if (conns_.size() <= static_cast<size_t>(fd))
    conns_.resize(fd + 1, nullptr);
  auto *c = new Conn;
  c->fd = fd;
  conns_[fd] = c;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = fd;
  epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev);
  c->out = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
           "Connection: Upgrade\r\nSec-WebSocket-Key: "
           "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
  flush(*c);
  return fd;
}

void
Generator::drop(Conn &c, const char *why) {
  if (c.dead)
    return;
  /* The pairs must be made; later, any connection may go (counted). An
   * idle connection the relay drops while opening (an overloaded baseline
   * still draining the previous series does) is left out of the figure. */
  if (!pairs_ready_)
    die(std::string("the relay closed a connection during set-up: ") + why);
  c.dead = true;
  c.out.clear();
  epoll_ctl(ep_, EPOLL_CTL_DEL, c.fd, nullptr);
  closed_++;
}

void
Generator::flush(Conn &c) {
  if (c.dead)
    return;
  while (!c.out.empty()) {
    ssize_t n = write(c.fd, c.out.data(), c.out.size());
    if (n < 0) {
      if (errno == EINTR)
        continue;
      if (errno != EAGAIN) {
        drop(c, strerror(errno));
        return;
      }
      break;
    }
    c.out.erase(0, static_cast<size_t>(n));
  }
  bool want = !c.out.empty();
  if (want != c.want_out) {
    c.want_out = want;
    epoll_event ev{};
    ev.events = EPOLLIN | (want ? uint32_t{EPOLLOUT} : 0u);
    ev.data.fd = c.fd;
    epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
  }
}

/* Appends one masked text frame (mask key 0: the payload goes as is). */
void
Generator::send_text(Conn &c, const std::string &text) {
  unsigned char h[14];
  size_t n = 0;
  h[n++] = 0x81;
  size_t len = text.size();
  if (len < 126) {
    h[n++] = static_cast<unsigned char>(0x80 | len);
  } else if (len < 65536) {
    h[n++] = 0x80 | 126;
    h[n++] = static_cast<unsigned char>(len >> 8);
    h[n++] = static_cast<unsigned char>(len);
  } else {
    h[n++] = 0x80 | 127;
    for (int i = 7; i >= 0; i--)
      h[n++] = static_cast<unsigned char>(len >> (8 * i));
  }
  for (int i = 0; i < 4; i++)
    h[n++] = 0;
  c.out.append(reinterpret_cast<char *>(h), n);
  c.out.append(text);
}

void
Generator::read_some(Conn &c) {
  char buf[65536];
  while (!c.dead) {
    ssize_t n = read(c.fd, buf, sizeof buf);
    if (n > 0) {
      c.in.append(buf, static_cast<size_t>(n));
      if (static_cast<size_t>(n) < sizeof buf)
        return;
      continue;
    }
    if (n == 0) {
      drop(c, "end of stream");
      return;
    }
    if (errno == EINTR)
      continue;
    if (errno == EAGAIN)
      return;
    drop(c, strerror(errno));
  }
}

bool
Generator::next_text(Conn &c, std::string &text) {
  for (;;) {
    if (!c.open) {
      size_t end = c.in.find("\r\n\r\n");
      if (end == std::string::npos)
        return false;
      if (c.in.compare(0, 12, "HTTP/1.1 101") != 0)
        die("upgrade refused: " + c.in.substr(0, c.in.find('\r')));
      c.open = true;
      c.in_off = end + 4;
    }
    size_t avail = c.in.size() - c.in_off;
    const auto *p
        = reinterpret_cast<const unsigned char *>(c.in.data()) + c.in_off;
    if (avail < 2)
      break;
    int op = p[0] & 0x0f;
    uint64_t len = p[1] & 0x7f;
    size_t hdr = 2;
    if (len == 126) {
      if (avail < 4)
        break;
      len = (uint64_t{p[2]} << 8) | p[3];
      hdr = 4;
    } else if (len == 127) {
      if (avail < 10)
        break;
      len = 0;
      for (int i = 0; i < 8; i++)
        len = (len << 8) | p[2 + i];
      hdr = 10;
    }
    if (avail < hdr + len)
      break;
    const char *payload = reinterpret_cast<const char *>(p + hdr);
    c.in_off += hdr + len;
    if (op == 0x1) {
      text.assign(payload, len);
      return true;
    }
    if (op == 0x9) { /* ping: answer with a pong of the same payload */
      unsigned char h[6]
          = {0x8a, static_cast<unsigned char>(0x80 | len), 0, 0, 0, 0};
      c.out.append(reinterpret_cast<char *>(h), 6);
      c.out.append(payload, len);
      flush(c);
    } else if (op == 0x8) {
      drop(c, "close frame");
      return false;
    }
  }
  /* Drop what was consumed once it is most of the buffer. */
  if (c.in_off > 0 && c.in_off * 2 >= c.in.size()) {
    c.in.erase(0, c.in_off);
    c.in_off = 0;
  }
  return false;
}

std::string
Generator::wait_text(Conn &c) {
  std::string text;
  int64_t deadline = now_ns() + int64_t{60} * 1000000000;
  while (!next_text(c, text)) {
    if (c.dead)
      return {};
    if (now_ns() > deadline)
      die("no answer from the relay within 60 s");
    epoll_event evs[64];
    int n = epoll_wait(ep_, evs, 64, 100);
    for (int i = 0; i < n; i++) {
      Conn *o = conns_[evs[i].data.fd];
      if (evs[i].events & EPOLLOUT)
        flush(*o);
      if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
        read_some(*o);
    }
    read_some(c);
  }
  return text;
}

void
Generator::make_pairs() {
  for (size_t i = 0; i < pairs; i++) {
    Conn &p = *conns_[dial()];
    p.role = Role::Producer;
    p.pair = i;
    std::string pid = field(wait_text(p), "peerId");
    if (pid.empty())
      die("no peerId in the welcome");
    send_text(p, "{\"type\":\"setPeerStatus\",\"roles\":[\"producer\"],"
                 "\"meta\":null}");
    flush(p);
    Conn &c = *conns_[dial()];
    c.role = Role::Consumer;
    c.pair = i;
    wait_text(c);
    send_text(c, "{\"type\":\"startSession\",\"peerId\":\"" + pid + "\"}");
    flush(c);
    std::string started = wait_text(c);
    std::string sid = field(started, "sessionId");
    if (sid.empty())
      die("no session: " + started);
    std::string start = wait_text(p);
    if (field(start, "type") != "startSession")
      die("producer got " + start);
    producers_.push_back(&p);
    consumers_.push_back(&c);
    session_ids_.push_back(sid);
  }
}

/* Opens `batch` connections at once, then registers them all as consumers
 * and waits for each to answer its `list`. */
void
Generator::open_batch(std::vector<Conn *> &batch) {
  for (Conn *c : batch) {
    if (wait_text(*c).empty()) /* welcome */
      continue;
    send_text(*c, "{\"type\":\"setPeerStatus\",\"roles\":[\"consumer\"],"
                  "\"meta\":null}");
    send_text(*c, "{\"type\":\"list\"}");
    flush(*c);
  }
  for (Conn *c : batch) {
    if (c->dead)
      continue;
    std::string ans = wait_text(*c);
    if (c->dead)
      continue;
    if (field(ans, "type") != "list")
      die("expected the list, got " + ans);
    c->in.clear();
    c->in.shrink_to_fit();
    c->in_off = 0;
    c->out.shrink_to_fit();
  }
}

void
Generator::open_idle() {
  std::vector<Conn *> batch;
  for (size_t i = 0; i < idle; i++) {
    Conn *c = conns_[dial()];
    idle_.push_back(c);
    batch.push_back(c);
    if (batch.size() == 200 || i + 1 == idle) {
      open_batch(batch);
      batch.clear();
    }
  }
}

long
Generator::rss_kib() const {
  if (!relay_pid)
    return 0;
  FILE *f
      = fopen(("/proc/" + std::to_string(relay_pid) + "/status").c_str(), "r");
  if (!f)
    return 0;
  char line[256];
  long kib = 0;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "VmRSS:", 6) == 0)
      kib = strtol(line + 6, nullptr, 10);
  }
  fclose(f);
  return kib;
}

double
Generator::relay_cpu_s() const {
  if (!relay_pid)
    return 0;
  FILE *f
      = fopen(("/proc/" + std::to_string(relay_pid) + "/stat").c_str(), "r");
  if (!f)
    return 0;
  char buf[1024];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  const char *p = strrchr(buf, ')');
  if (!p)
    return 0;
  /* Fields after the command: state is field 3; utime 14, stime 15. */
  unsigned long ut = 0, st = 0;
  int field_no = 2;
  for (const char *q = p + 1; *q && field_no < 15; q++) {
    if (*q == ' ') {
      field_no++;
      if (field_no == 14)
        ut = strtoul(q + 1, nullptr, 10);
      else if (field_no == 15)
        st = strtoul(q + 1, nullptr, 10);
    }
  }
  return double(ut + st) / sysconf(_SC_CLK_TCK);
}

/* One `peer` message per call to the pair's template: the session id, a
 * fixed-width send time and padding up to --size bytes. */
void
Generator::send_peer(size_t pair, int n) {
  Conn &p = *producers_[pair];
  if (p.dead)
    return;
  std::string &msg = templates_[pair];
  if (msg.empty()) {
    msg = "{\"type\":\"peer\",\"sessionId\":\"" + session_ids_[pair]
          + "\",\"ice\":{\"candidate\":\"";
    stamp_at_ = msg.size();
    msg.append(kStampDigits, '0');
    msg += ' ';
    const std::string tail = "\",\"sdpMLineIndex\":0}}";
    if (msg.size() + tail.size() < size)
      msg.append(size - msg.size() - tail.size(), 'x');
    msg += tail;
  }
  for (int i = 0; i < n; i++) {
    uint64_t t = static_cast<uint64_t>(now_ns());
    for (size_t d = kStampDigits; d-- > 0; t /= 10)
      msg[stamp_at_ + d] = static_cast<char>('0' + t % 10);
    send_text(p, msg);
  }
  in_flight_[pair] += static_cast<size_t>(n);
  flush(p);
}

void
Generator::on_readable(Conn &c) {
  read_some(c);
  std::string text;
  while (next_text(c, text)) {
    if (c.role != Role::Consumer) {
      if (c.role == Role::Producer)
        errors_++; /* the relay answered a producer: an error */
      continue;
    }
    static const char kCand[] = "\"candidate\":\"";
    size_t at = text.find(kCand);
    if (at == std::string::npos) {
      errors_++;
      continue;
    }
    int64_t sent = strtoll(text.c_str() + at + sizeof kCand - 1, nullptr, 10);
    int64_t now = now_ns();
    if (in_flight_[c.pair] > 0)
      in_flight_[c.pair]--;
    if (measuring_) {
      received_++;
      lat_us_.push_back(static_cast<uint32_t>((now - sent) / 1000));
    }
    if (closed_loop_ && measuring_)
      replies_[c.pair]++;
  }
}

/* Reads what arrived, then (closed loop) answers every arrival with a new
 * message, one write per producer. */
void
Generator::handle_events(epoll_event *evs, int n) {
  for (int i = 0; i < n; i++) {
    Conn &c = *conns_[evs[i].data.fd];
    if (evs[i].events & EPOLLOUT)
      flush(c);
    if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
      on_readable(c);
  }
  for (size_t p = 0; p < replies_.size(); p++) {
    if (replies_[p]) {
      send_peer(p, replies_[p]);
      replies_[p] = 0;
    }
  }
}

std::string
Generator::series_entry(long rate) {
  lat_us_.clear();
  lat_us_.reserve(1 << 22);
  received_ = errors_ = 0;
  in_flight_.assign(pairs, 0);
  replies_.assign(pairs, 0);
  templates_.resize(pairs);
  closed_loop_ = rate == 0;
  measuring_ = true;
  uint64_t sent = 0;
  rusage ru0;
  getrusage(RUSAGE_SELF, &ru0);
  double relay0 = relay_cpu_s();
  int64_t t0 = now_ns();
  int64_t stop = t0 + static_cast<int64_t>(seconds * 1e9);
  if (closed_loop_) {
    for (size_t i = 0; i < pairs; i++)
      send_peer(i, static_cast<int>(window));
    sent += pairs * window;
  }
  size_t next_pair = 0;
  std::vector<int> due(pairs);
  epoll_event evs[512];
  int64_t now = t0;
  while (now < stop) {
    if (!closed_loop_) {
      /* Open loop: whatever is due by now, spread round robin. */
      auto target = static_cast<uint64_t>(double(now - t0) * rate / 1e9);
      if (target > sent) {
        uint64_t n = target - sent;
        std::fill(due.begin(), due.end(), 0);
        for (uint64_t k = 0; k < n; k++) {
          due[next_pair]++;
          next_pair = (next_pair + 1) % pairs;
        }
        for (size_t i = 0; i < pairs; i++) {
          if (due[i])
            send_peer(i, due[i]);
        }
        sent = target;
      }
    }
    /* Sleep until the next message is due, or an arrival. */
    timespec wait{0, 50000000};
    if (!closed_loop_) {
      int64_t next = t0 + static_cast<int64_t>(double(sent + 1) * 1e9 / rate);
      int64_t ns = std::max<int64_t>(0, next - now_ns());
      wait = {static_cast<time_t>(ns / 1000000000),
          static_cast<long>(ns % 1000000000)};
    }
    int n = epoll_pwait2(ep_, evs, 512, &wait, nullptr);
    handle_events(evs, n);
    now = now_ns();
  }
  int64_t t_end = now_ns();
  rusage ru1;
  getrusage(RUSAGE_SELF, &ru1);
  double relay1 = relay_cpu_s();
  if (closed_loop_) {
    sent = 0; /* counted below from what arrived plus what is in flight */
  }
  measuring_ = false;
  /* Drain: let what is in flight arrive (not counted in the rate). */
  int64_t drain_end = now_ns() + 2000000000LL;
  for (;;) {
    size_t left = 0;
    for (size_t f : in_flight_)
      left += f;
    if (left == 0 || now_ns() > drain_end)
      break;
    int n = epoll_wait(ep_, evs, 512, 50);
    handle_events(evs, n);
  }
  double elapsed = (t_end - t0) / 1e9;
  auto secs = [](const timeval &a, const timeval &b) {
    return (b.tv_sec - a.tv_sec) + (b.tv_usec - a.tv_usec) / 1e6;
  };
  double gen_cpu
      = secs(ru0.ru_utime, ru1.ru_utime) + secs(ru0.ru_stime, ru1.ru_stime);
  std::sort(lat_us_.begin(), lat_us_.end());
  auto pct = [&](double q) {
    if (lat_us_.empty())
      return std::string("null");
    size_t i = std::min(lat_us_.size() - 1,
        static_cast<size_t>(q * static_cast<double>(lat_us_.size())));
    char b[32];
    snprintf(b, sizeof b, "%.3f", lat_us_[i] / 1000.0);
    return std::string(b);
  };
  char head[512];
  snprintf(head, sizeof head,
      "{\"offered_msgs_per_s\": %s, \"sessions\": %zu, \"sent\": %llu, "
      "\"received\": %llu, \"errors\": %llu, \"delivered_msgs_per_s\": %.0f, "
      "\"relay_cpu_pct\": %.0f, \"generator_cpu_pct\": %.0f, "
      "\"relay_cpu_us_per_msg\": %.2f, \"generator_cpu_us_per_msg\": %.2f, "
      "\"closed_by_relay\": %llu, ",
      closed_loop_ ? "\"max\"" : std::to_string(rate).c_str(), pairs,
      static_cast<unsigned long long>(closed_loop_ ? received_ : sent),
      static_cast<unsigned long long>(received_),
      static_cast<unsigned long long>(errors_), received_ / elapsed,
      relay_pid ? 100 * (relay1 - relay0) / elapsed : -1.0,
      100 * gen_cpu / elapsed,
      received_ && relay_pid ? 1e6 * (relay1 - relay0) / double(received_)
                             : -1.0,
      received_ ? 1e6 * gen_cpu / double(received_) : -1.0,
      static_cast<unsigned long long>(closed_));
  return std::string(head) + "\"p50_ms\": " + pct(0.5)
         + ", \"p99_ms\": " + pct(0.99) + ", \"p999_ms\": " + pct(0.999)
         + ", \"max_ms\": " + pct(1.0) + "}";
}

void
Generator::run() {
  ep_ = epoll_create1(EPOLL_CLOEXEC);
  make_pairs();
  pairs_ready_ = true;
  std::string out = "{\"throughput\": [";
  for (size_t i = 0; !only_idle && i < rates.size(); i++)
    out += (i ? ", " : "") + series_entry(rates[i]);
  out += "], \"idle_memory\": [";
  if (idle) {
    long before = rss_kib();
    int64_t t0 = now_ns();
    opening_idle_ = true;
    open_idle();
    opening_idle_ = false;
    double open_s = (now_ns() - t0) / 1e9;
    /* Let the relay settle (the last batch's buffers, deferred frees). */
    int64_t settle = now_ns() + 500000000;
    epoll_event evs[64];
    while (now_ns() < settle) {
      int n = epoll_wait(ep_, evs, 64, 100);
      for (int i = 0; i < n; i++)
        read_some(*conns_[evs[i].data.fd]);
    }
    long after = rss_kib();
    size_t open = 0;
    for (Conn *c : idle_)
      open += c->dead ? 0 : 1;
    char b[320];
    snprintf(b, sizeof b,
        "{\"connections\": %zu, \"rss_before_kib\": %ld, \"rss_after_kib\": "
        "%ld, \"open_seconds\": %.2f, \"bytes_per_connection\": %.0f, "
        "\"dropped_while_opening\": %zu}",
        open, before, after, open_s,
        double(after - before) * 1024 / double(std::max<size_t>(1, open)),
        idle - open);
    out += b;
  }
  out += "], \"throughput_with_idle\": [";
  if (idle) {
    for (size_t i = 0; i < rates.size(); i++) {
      std::string e = series_entry(rates[i]);
      e.insert(1, "\"idle_connections\": " + std::to_string(idle) + ", ");
      out += (i ? ", " : "") + e;
    }
  }
  out += "]}";
  printf("%s\n", out.c_str());
}

} // namespace

int
main(int argc, char **argv) {
  Generator g;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc)
        die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--port")
      g.port = std::stoi(val());
    else if (a == "--relay-pid")
      g.relay_pid = std::stoi(val());
    else if (a == "--pairs")
      g.pairs = std::stoul(val());
    else if (a == "--size")
      g.size = std::stoul(val());
    else if (a == "--seconds")
      g.seconds = std::stod(val());
    else if (a == "--idle")
      g.idle = std::stoul(val());
    else if (a == "--only-idle")
      g.only_idle = true;
    else if (a == "--window")
      g.window = std::stoul(val());
    else if (a == "--rates") {
      g.rates.clear();
      std::string v = val();
      for (size_t at = 0; at <= v.size();) {
        size_t end = v.find(',', at);
        if (end == std::string::npos)
          end = v.size();
        std::string r = v.substr(at, end - at);
        g.rates.push_back(r == "max" ? 0 : std::stol(r));
        at = end + 1;
      }
    } else
      die("unknown option " + a
          + " (see the comment at the top of "
            "bench/relay/relay_load.cpp)");
  }
  if (!g.port || !g.pairs)
    die("--port and a non-zero --pairs are needed");
  rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  g.run();
  return 0;
}
