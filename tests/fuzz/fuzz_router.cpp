/* Fuzz target: the relay's routing core (signaling/relay/router.*).
 *
 * Input: a script, one operation per line, over four connections 0-3:
 *   c<N>[ <claim>]  connect N (claiming a peer id when given)
 *   d<N>            disconnect N
 *   t<ms>           the clock moves on
 *   r<N> <frame>    N sends a text frame; in the frame, $0..$7 stand for
 *                   the session ids the router handed out so far (newest
 *                   first), so scripts can address the sessions they made
 *   anything else   connection 0 sends the line as a frame
 * The fuzzer mutates frames; the harness plays the transport (closes the
 * router asks for become disconnect() after the operation).
 *
 * Invariants: the router only sends frames the codec parses, only to
 * connections it knows of (or to the one it is refusing); after everyone
 * disconnected, no peer and no session is left. */
#include "fuzz.h"
#include "relay/router.h"

#include <deque>
#include <set>
#include <string>
#include <vector>

using namespace gws;
using relay::ConnectionId;

namespace {

constexpr int kConns = 4;

class Transport : public relay::Output {
 public:
  void send(ConnectionId conn, const std::string &text) override {
    FUZZ_CHECK(live.count(conn) || conn == connecting,
        "send to unknown connection %lu", (unsigned long)conn);
    auto r = protocol::parse(text);
    FUZZ_CHECK(r.message, "router sent an unparsable frame (%s): %s",
        r.error.c_str(), text.c_str());
    if (!r.message->session_id.empty()) {
      bool known = false;
      for (const auto &s : sessions)
        known |= s == r.message->session_id;
      if (!known) {
        sessions.push_front(r.message->session_id);
        if (sessions.size() > 8)
          sessions.pop_back();
      }
    }
  }
  void close(ConnectionId conn, const std::string &reason) override {
    closing.insert(conn);
  }
  void log(const std::string &line) override {}

  std::set<ConnectionId> live;
  std::set<ConnectionId> closing;
  ConnectionId connecting = ~ConnectionId(0);
  std::deque<std::string> sessions;
};

std::string
substitute(const std::string &frame, const std::deque<std::string> &ids) {
  std::string out;
  for (size_t i = 0; i < frame.size(); i++) {
    if (frame[i] == '$' && i + 1 < frame.size() && frame[i + 1] >= '0'
        && frame[i + 1] <= '7') {
      size_t n = frame[i + 1] - '0';
      out += n < ids.size() ? ids[n] : "none";
      i++;
    } else {
      out += frame[i];
    }
  }
  return out;
}

} // namespace

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  Transport t;
  relay::RouterConfig config;
  config.max_message_size = 4096;
  relay::Router router(t, config);
  relay::Clock::time_point now{};
  router.set_clock([&now] { return now; });

  auto drop = [&](ConnectionId c) {
    if (t.live.erase(c))
      router.disconnect(c);
  };
  auto flush_closes = [&] {
    while (!t.closing.empty()) {
      ConnectionId c = *t.closing.begin();
      t.closing.erase(t.closing.begin());
      drop(c);
    }
  };

  std::string script(reinterpret_cast<const char *>(data), size);
  size_t pos = 0;
  int ops = 0;
  while (pos < script.size() && ops++ < 2000) {
    size_t end = script.find('\n', pos);
    if (end == std::string::npos)
      end = script.size();
    std::string line = script.substr(pos, end - pos);
    pos = end + 1;

    char op = line.empty() ? 'x' : line[0];
    ConnectionId conn
        = line.size() > 1 && line[1] >= '0' && line[1] < '0' + kConns
              ? ConnectionId(line[1] - '0')
              : ConnectionId(kConns); /* not a valid connection */
    if (op == 'c' && conn < kConns) {
      if (t.live.count(conn))
        continue;
      std::string claim = line.size() > 3 ? line.substr(3) : "";
      t.connecting = conn;
      if (router.connect(conn, claim))
        t.live.insert(conn);
      else
        t.closing.erase(conn);
      t.connecting = ~ConnectionId(0);
    } else if (op == 'd' && conn < kConns) {
      drop(conn);
    } else if (op == 't') {
      now += std::chrono::milliseconds(atoi(line.c_str() + 1) % 100000);
    } else if (op == 'r' && conn < kConns) {
      if (t.live.count(conn)) {
        std::string frame = line.size() > 3 ? line.substr(3) : "";
        router.receive(conn, substitute(frame, t.sessions));
      }
    } else if (t.live.count(0)) {
      router.receive(0, line);
    }
    flush_closes();
  }

  for (ConnectionId c = 0; c < kConns; c++)
    drop(c);
  flush_closes();
  FUZZ_CHECK(router.peer_count() == 0, "%zu peers left after everyone left",
      router.peer_count());
  FUZZ_CHECK(router.session_count() == 0,
      "%zu sessions left after everyone left", router.session_count());
  return 0;
}
