/* gst-webrtc-session: RFC 6455 framing for the relay (see ws_frame.h). */
#include "ws_frame.h"

#include <cstring>

namespace gws::relay::ws {

namespace {

/* The largest payload of a control frame (ping, pong, close). */
constexpr size_t kMaxControlPayload = 125;

void
unmask(unsigned char *data, size_t size, const unsigned char key[4]) {
  /* Eight bytes at a time through memcpy (no unaligned access), then the
   * tail; the key's phase is the same at every multiple of four. */
  uint32_t key32 = 0;
  memcpy(&key32, key, 4);
  const uint64_t key64 = (uint64_t{key32} << 32) | key32;
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t word = 0;
    memcpy(&word, data + i, 8);
    word ^= key64;
    memcpy(data + i, &word, 8);
  }
  for (; i < size; i++)
    data[i] ^= key[i % 4];
}

bool
valid_close_code(uint16_t code) {
  /* Codes a peer may send (RFC 6455 7.4.1 and 7.4.2; 1012-1014 are
   * registered since). 1004-1006 and 1015 must never appear on the wire. */
  if (code >= 1000 && code <= 1003)
    return true;
  if (code >= 1007 && code <= 1014)
    return true;
  return code >= 3000 && code <= 4999;
}

} // namespace

bool
valid_utf8(std::string_view data) {
  auto *s = reinterpret_cast<const unsigned char *>(data.data());
  size_t n = data.size();
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t extra = 0;
    unsigned char lo = 0x80, hi = 0xBF; /* range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2;
      if (c == 0xE0)
        lo = 0xA0; /* overlong */
      else if (c == 0xED)
        hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3;
      if (c == 0xF0)
        lo = 0x90; /* overlong */
      else if (c == 0xF4)
        hi = 0x8F; /* above U+10FFFF */
    } else {
      return false;
    }
    if (n - i <= extra)
      return false;
    if (s[i + 1] < lo || s[i + 1] > hi)
      return false;
    for (size_t k = 2; k <= extra; k++) {
      if ((s[i + k] & 0xC0) != 0x80)
        return false;
    }
    i += extra + 1;
  }
  return true;
}

void
Parser::trim() {
  if (fragments_.empty())
    std::string().swap(fragments_);
}

size_t
Parser::fail(uint16_t code, const char *reason) {
  error_code_ = code;
  error_reason_ = reason;
  in_message_ = false;
  std::string().swap(fragments_);
  return 0;
}

size_t
Parser::feed(char *data, size_t size, Sink &sink) {
  size_t pos = 0;
  while (!closed_ && !failed() && size - pos >= 2) {
    auto *p = reinterpret_cast<unsigned char *>(data + pos);
    size_t avail = size - pos;
    const bool fin = p[0] & 0x80;
    const auto op = static_cast<uint8_t>(p[0] & 0x0F);
    if (p[0] & 0x70) {
      fail(close_code::kProtocolError, "reserved bits set (no extension)");
      break;
    }
    if (!(p[1] & 0x80)) {
      fail(close_code::kProtocolError, "unmasked frame from a client");
      break;
    }
    uint64_t len = p[1] & 0x7F;
    size_t header = 2;
    if (len == 126) {
      if (avail < 4)
        break;
      len = (uint64_t{p[2]} << 8) | p[3];
      header = 4;
    } else if (len == 127) {
      if (avail < 10)
        break;
      len = 0;
      for (int i = 2; i < 10; i++)
        len = (len << 8) | p[i];
      if (len >> 63) {
        fail(close_code::kProtocolError, "frame length out of range");
        break;
      }
      header = 10;
    }
    header += 4; /* the masking key */

    const bool control = op & 0x8;
    if (control) {
      if (op != 0x8 && op != 0x9 && op != 0xA) {
        fail(close_code::kProtocolError, "unknown control opcode");
        break;
      }
      if (!fin) {
        fail(close_code::kProtocolError, "fragmented control frame");
        break;
      }
      if (len > kMaxControlPayload) {
        fail(close_code::kProtocolError, "control frame over 125 bytes");
        break;
      }
    } else {
      if (op > 0x2) {
        fail(close_code::kProtocolError, "unknown data opcode");
        break;
      }
      if (op == 0x0 && !in_message_) {
        fail(close_code::kProtocolError, "continuation outside a message");
        break;
      }
      if (op != 0x0 && in_message_) {
        fail(close_code::kProtocolError, "new message inside a fragmented one");
        break;
      }
      /* Before any of its payload is buffered. */
      uint64_t so_far = op == 0x0 ? fragments_.size() : 0;
      if (len > max_message_ || so_far + len > max_message_) {
        fail(close_code::kTooBig, "message too big");
        break;
      }
    }
    if (avail < header || avail - header < len)
      break; /* the rest of the frame has not arrived */

    auto *payload = p + header;
    const auto n = static_cast<size_t>(len);
    unmask(payload, n, p + header - 4);
    std::string_view body(reinterpret_cast<char *>(payload), n);
    pos += header + n;

    bool go_on = true;
    switch (op) {
      case 0x8: {
        if (n == 1) {
          fail(close_code::kProtocolError, "close frame of one byte");
          return pos;
        }
        uint16_t code = close_code::kNoStatus;
        std::string_view reason;
        if (n >= 2) {
          code = static_cast<uint16_t>((payload[0] << 8) | payload[1]);
          reason = body.substr(2);
          if (!valid_close_code(code)) {
            fail(close_code::kProtocolError, "invalid close code");
            return pos;
          }
          if (!valid_utf8(reason)) {
            fail(close_code::kBadData, "close reason is not UTF-8");
            return pos;
          }
        }
        closed_ = true;
        in_message_ = false;
        std::string().swap(fragments_);
        sink.on_close(code, reason);
        return pos;
      }
      case 0x9:
        go_on = sink.on_ping(body);
        break;
      case 0xA:
        go_on = sink.on_pong(body);
        break;
      case 0x0:
        fragments_.append(body);
        if (fin) {
          in_message_ = false;
          if (message_text_ && !valid_utf8(fragments_)) {
            fail(close_code::kBadData, "text message is not UTF-8");
            return pos;
          }
          std::string message;
          message.swap(fragments_);
          go_on = sink.on_message(message_text_, message);
        }
        break;
      default: /* text or binary */
        if (!fin) {
          in_message_ = true;
          message_text_ = op == 0x1;
          fragments_.assign(body);
          break;
        }
        if (op == 0x1 && !valid_utf8(body)) {
          fail(close_code::kBadData, "text message is not UTF-8");
          return pos;
        }
        go_on = sink.on_message(op == 0x1, body);
        break;
    }
    if (!go_on)
      break;
  }
  return pos;
}

size_t
write_header(char *out, Opcode opcode, size_t size) {
  auto *o = reinterpret_cast<unsigned char *>(out);
  o[0] = static_cast<unsigned char>(0x80 | static_cast<uint8_t>(opcode));
  if (size < 126) {
    o[1] = static_cast<unsigned char>(size);
    return 2;
  }
  if (size <= 0xFFFF) {
    o[1] = 126;
    o[2] = static_cast<unsigned char>(size >> 8);
    o[3] = static_cast<unsigned char>(size);
    return 4;
  }
  o[1] = 127;
  for (int i = 0; i < 8; i++)
    o[2 + i] = static_cast<unsigned char>(uint64_t{size} >> (56 - 8 * i));
  return 10;
}

std::string
close_payload(uint16_t code, std::string_view reason) {
  constexpr size_t kMaxReason = kMaxControlPayload - 2;
  size_t end = reason.size();
  if (end > kMaxReason) {
    end = kMaxReason;
    while (end > 0 && (static_cast<unsigned char>(reason[end]) & 0xC0) == 0x80)
      end--;
  }
  std::string out;
  out.reserve(2 + end);
  out.push_back(static_cast<char>(code >> 8));
  out.push_back(static_cast<char>(code & 0xFF));
  out.append(reason.substr(0, end));
  return out;
}

std::string
frame(Opcode opcode, std::string_view payload) {
  char header[kMaxHeader];
  size_t n = write_header(header, opcode, payload.size());
  std::string out;
  out.reserve(n + payload.size());
  out.append(header, n);
  out.append(payload);
  return out;
}

} // namespace gws::relay::ws
