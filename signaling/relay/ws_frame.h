/* gst-webrtc-session: RFC 6455 framing for the relay's plain WebSocket
 * connections (server side), with no sockets and no GLib.
 *
 * Parser takes the bytes a client sent, as they arrive, and hands back whole
 * events: a complete message (fragments joined), a ping, a pong, a close.
 * It enforces what a server must: every client frame masked, no reserved
 * bits (no extension is ever negotiated), no unknown opcode, control frames
 * unfragmented and at most 125 bytes, continuation frames only inside a
 * fragmented message, a message size limit, and valid UTF-8 in text
 * messages and close reasons. On a violation it stops and says which close
 * code to send (1002, 1007, 1009).
 *
 * The builders write server frames (unmasked, FIN set: the relay never
 * fragments). */
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gws::relay::ws {

enum class Opcode : uint8_t {
  Continuation = 0x0,
  Text = 0x1,
  Binary = 0x2,
  Close = 0x8,
  Ping = 0x9,
  Pong = 0xA,
};

/* Close status codes (RFC 6455 section 7.4.1). */
namespace close_code {
constexpr uint16_t kNormal = 1000;
constexpr uint16_t kGoingAway = 1001;
constexpr uint16_t kProtocolError = 1002;
constexpr uint16_t kNoStatus = 1005; /* never sent: a close without a code */
constexpr uint16_t kAbnormal = 1006; /* never sent: no close frame at all */
constexpr uint16_t kBadData = 1007;
constexpr uint16_t kPolicyViolation = 1008;
constexpr uint16_t kTooBig = 1009;
} // namespace close_code

/* Whether `data` is well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF; NUL is allowed). */
bool valid_utf8(std::string_view data);

/* What the parser found. The views point into the parser's input or its
 * own buffer: valid only during the callback. */
class Sink {
 public:
  virtual ~Sink() = default;
  /* A whole message. Return false to stop parsing (the connection is going
   * away); the remaining input is left unconsumed. */
  virtual bool on_message(bool text, std::string_view data) = 0;
  virtual bool on_ping(std::string_view payload) = 0;
  virtual bool on_pong(std::string_view payload) = 0;
  /* The peer's close: `code` is kNoStatus when its frame had no code. The
   * parser consumes nothing after a close frame. */
  virtual void on_close(uint16_t code, std::string_view reason) = 0;
};

class Parser {
 public:
  /* `max_message`: the largest message (all its fragments together) taken;
   * a larger one fails with kTooBig before its payload is buffered. */
  explicit Parser(size_t max_message) : max_message_(max_message) {}

  /* Parses the complete frames at the start of [data, data + size),
   * unmasking them in place, and reports them to `sink`. Returns how many
   * bytes were consumed: the rest is the start of an incomplete frame, to be
   * given again with more bytes after it. After a violation (failed()) or a
   * close frame (closed()) it consumes nothing more. */
  size_t feed(char *data, size_t size, Sink &sink);

  bool failed() const { return error_code_ != 0; }
  bool closed() const { return closed_; }
  /* The close code to send and why (for the close frame and the log). */
  uint16_t error_code() const { return error_code_; }
  const char *error_reason() const { return error_reason_; }
  /* Bytes of a fragmented message held so far. */
  size_t buffered() const { return fragments_.size(); }
  /* Gives back the fragment buffer's memory when it is empty. */
  void trim();

 private:
  size_t fail(uint16_t code, const char *reason);

  std::string fragments_; /* the fragmented message so far */
  size_t max_message_;
  const char *error_reason_ = "";
  uint16_t error_code_ = 0;
  bool in_message_ = false; /* a fragmented message has begun */
  bool message_text_ = false;
  bool closed_ = false;
};

/* The largest header of a server frame. */
constexpr size_t kMaxHeader = 10;

/* Writes the header of an unmasked, final server frame carrying `size`
 * bytes into `out`; returns its length (2, 4 or 10). */
size_t write_header(char *out, Opcode opcode, size_t size);

/* A close frame's payload: the code, then the reason cut to fit 123 bytes
 * at a UTF-8 character boundary. */
std::string close_payload(uint16_t code, std::string_view reason);

/* A whole server frame. */
std::string frame(Opcode opcode, std::string_view payload);

} // namespace gws::relay::ws
