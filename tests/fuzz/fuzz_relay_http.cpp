/* Fuzz target: the relay's HTTP side and WebSocket upgrade path
 * (signaling/relay/relay_server.cpp, with the router behind it), driven as a
 * client would: the input is sent as is over a TCP connection to a real
 * RelayServer running on its own thread in this process (a request, and
 * after an upgrade, WebSocket frames), then the connection is half-closed.
 *
 * Invariants: the relay answers or closes every connection (no hang: the
 * read gives up after 2 s, libFuzzer's -timeout catches a stuck server);
 * whatever it answers to HTTP has a status line with a known code; it never
 * crashes, leaks or trips a sanitizer. */
#include "fuzz.h"
#include "fuzz_net.h"
#include "relay/relay_server.h"

#include <thread>

using namespace gws::relay;

namespace {

int
relay_port() {
  static int port = [] {
    /* The relay logs every connection to stdout. */
    if (!freopen("/dev/null", "w", stdout))
      abort();
    ServerConfig config;
    config.host = "127.0.0.1";
    config.port = 0;
    config.request_timeout = 2;
    config.router.max_message_size = 4096;
    auto *server = new RelayServer(config); /* lives as long as the process */
    std::string error;
    FUZZ_CHECK(server->start(error), "relay did not start: %s", error.c_str());
    int p = atoi(server->url().c_str() + server->url().rfind(':') + 1);
    std::thread([] {
      GMainLoop *loop = g_main_loop_new(nullptr, FALSE);
      g_main_loop_run(loop);
    }).detach();
    return p;
  }();
  return port;
}

} // namespace

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int port = relay_port();
  std::string reply = fuzznet::exchange(
      port, std::string(reinterpret_cast<const char *>(data), size));
  int status = fuzznet::status_of(reply);
  if (!reply.empty() && reply.compare(0, 5, "HTTP/") == 0)
    FUZZ_CHECK(
        status >= 100 && status < 600, "status line: %.80s", reply.c_str());
  return 0;
}
