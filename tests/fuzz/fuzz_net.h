/* gst-webrtc-session: what the network fuzz targets share: one request over
 * a real TCP connection to a server running in this process on 127.0.0.1
 * (its own thread), read back until the server closes or 2 s pass. */
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <string>

namespace fuzznet {

/* Sends @request, returns what came back. @half_close: then shut our
 * side, so that an incomplete request ends at once (libsoup takes the EOF
 * for a client gone, even while an answer is pending: the harness's own
 * requests keep the connection open; every answer closes it). */
inline std::string
exchange(int port, const std::string &request, bool half_close = true) {
  static bool init = [] {
    signal(SIGPIPE, SIG_IGN);
    return true;
  }();
  (void)init;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string reply;
  int c;
  do
    c = connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr);
  while (c < 0 && errno == EINTR);
  if (c == 0) {
    size_t off = 0;
    while (off < request.size()) {
      ssize_t n = send(fd, request.data() + off, request.size() - off, 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      off += n;
    }
    if (half_close)
      shutdown(fd, SHUT_WR);
    char buf[4096];
    /* libFuzzer's timers interrupt system calls (EINTR): not an answer. */
    for (;;) {
      pollfd p{fd, POLLIN, 0};
      int r = poll(&p, 1, 2000);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        break;
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      reply.append(buf, n);
    }
  }
  close(fd);
  return reply;
}

/* The status code of an HTTP reply, 0 when there is none. */
inline int
status_of(const std::string &reply) {
  if (reply.compare(0, 5, "HTTP/") != 0)
    return 0;
  size_t sp = reply.find(' ');
  return sp == std::string::npos ? 0 : atoi(reply.c_str() + sp + 1);
}

} // namespace fuzznet
