/* Fuzz target: the relay's WebSocket frame parser (signaling/relay/
 * ws_frame.*), which reads every byte a ws:// client sends.
 *
 * Input: a first byte choosing a chunk size, then the client's byte stream.
 * The stream is parsed whole, and again as the relay would see it arrive in
 * chunks of that size (keeping the unconsumed start of a frame, as
 * PlainWsLink does). Invariants: the parser never consumes more than it was
 * given; both ways give the same events and the same verdict (the chunking
 * of TCP must not change what a client said); no message is over the limit;
 * every text message and close reason is valid UTF-8; control payloads fit
 * 125 bytes; nothing is reported after a close or a violation, and a
 * violation names a close code the relay may send. */
#include "fuzz.h"
#include "relay/ws_frame.h"

#include <string>
#include <vector>

using namespace gws::relay;

namespace {

constexpr size_t kMax = 1024;

struct Recorder : ws::Sink {
  std::vector<std::string> events;
  bool ended = false;
  void add(char kind, std::string_view data) {
    FUZZ_CHECK(!ended, "event after a close");
    events.push_back(std::string(1, kind) + std::string(data));
  }
  bool on_message(bool text, std::string_view data) override {
    FUZZ_CHECK(data.size() <= kMax, "message of %zu bytes", data.size());
    FUZZ_CHECK(!text || ws::valid_utf8(data), "text message not UTF-8");
    add(text ? 'T' : 'B', data);
    return true;
  }
  bool on_ping(std::string_view p) override {
    FUZZ_CHECK(p.size() <= 125, "ping of %zu bytes", p.size());
    add('i', p);
    return true;
  }
  bool on_pong(std::string_view p) override {
    FUZZ_CHECK(p.size() <= 125, "pong of %zu bytes", p.size());
    add('o', p);
    return true;
  }
  void on_close(uint16_t code, std::string_view reason) override {
    FUZZ_CHECK(ws::valid_utf8(reason), "close reason not UTF-8");
    add('C', std::to_string(code) + ":" + std::string(reason));
    ended = true;
  }
};

/* Parses `stream` arriving `chunk` bytes at a time. */
void
run(const std::string &stream, size_t chunk, Recorder &rec, ws::Parser &p) {
  std::string pending;
  for (size_t at = 0; at < stream.size(); at += chunk) {
    pending.append(stream, at, chunk);
    size_t used = p.feed(pending.data(), pending.size(), rec);
    FUZZ_CHECK(
        used <= pending.size(), "consumed %zu of %zu", used, pending.size());
    pending.erase(0, used);
    if (p.failed() || p.closed()) {
      rec.ended = true;
      FUZZ_CHECK(p.feed(pending.data(), pending.size(), rec) == 0,
          "consumed after the end");
      return;
    }
  }
}

} // namespace

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  size_t chunk = 1 + data[0] % 64;
  std::string stream(reinterpret_cast<const char *>(data + 1), size - 1);

  Recorder whole, pieces;
  ws::Parser a(kMax), b(kMax);
  run(stream, stream.size() ? stream.size() : 1, whole, a);
  run(stream, chunk, pieces, b);
  FUZZ_CHECK(whole.events == pieces.events,
      "chunks of %zu change the events (%zu vs %zu)", chunk,
      whole.events.size(), pieces.events.size());
  FUZZ_CHECK(a.failed() == b.failed() && a.error_code() == b.error_code(),
      "chunks of %zu change the verdict (%u vs %u)", chunk, a.error_code(),
      b.error_code());
  if (a.failed()) {
    uint16_t c = a.error_code();
    FUZZ_CHECK(c == ws::close_code::kProtocolError
                   || c == ws::close_code::kBadData
                   || c == ws::close_code::kTooBig,
        "close code %u", c);
  }
  return 0;
}
