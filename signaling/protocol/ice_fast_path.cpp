/* gst-webrtc-session: the relay's fast path for ICE candidate messages (see
 * ice_fast_path.h). */
#include "ice_fast_path.h"

#include <glib.h>

namespace gws::protocol {
namespace {

constexpr int kMaxDepth = 32;
/* Integers of up to this many digits fit in json-glib's gint64. */
constexpr size_t kMaxDigits = 18;

class Scanner {
 public:
  explicit Scanner(std::string_view text)
      : p_(text.data()), end_(text.data() + text.size()) {}

  bool at_end() {
    ws();
    return p_ == end_;
  }

  const char *pos() {
    ws();
    return p_;
  }

  bool eat(char c) {
    ws();
    if (p_ < end_ && *p_ == c) {
      p_++;
      return true;
    }
    return false;
  }

  bool peek(char c) {
    ws();
    return p_ < end_ && *p_ == c;
  }

  /* A string token; `escaped` says whether it holds backslash escapes (its
   * text is then not its value). \u escapes are refused (json-glib has its
   * own view of lone surrogates). */
  bool string(std::string_view &out, bool &escaped) {
    escaped = false;
    if (!eat('"'))
      return false;
    const char *start = p_;
    while (p_ < end_) {
      auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        out = std::string_view(start, static_cast<size_t>(p_ - start));
        p_++;
        return true;
      }
      if (c < 0x20)
        return false;
      if (c == '\\') {
        escaped = true;
        if (++p_ == end_)
          return false;
        switch (*p_) {
          case '"':
          case '\\':
          case '/':
          case 'b':
          case 'f':
          case 'n':
          case 'r':
          case 't':
            break;
          default:
            return false;
        }
      }
      p_++;
    }
    return false;
  }

  /* A plain string: no escapes. */
  bool plain_string(std::string_view &out) {
    bool escaped = false;
    return string(out, escaped) && !escaped;
  }

  /* An integer of at most kMaxDigits digits; fractions and exponents are
   * left to json-glib. */
  bool integer(bool allow_negative) {
    ws();
    if (p_ < end_ && *p_ == '-') {
      if (!allow_negative)
        return false;
      p_++;
    }
    const char *digits = p_;
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9')
      p_++;
    size_t n = static_cast<size_t>(p_ - digits);
    if (n == 0 || n > kMaxDigits || (n > 1 && *digits == '0'))
      return false;
    return p_ == end_ || (*p_ != '.' && *p_ != 'e' && *p_ != 'E');
  }

  bool literal(std::string_view word) {
    ws();
    if (static_cast<size_t>(end_ - p_) < word.size()
        || std::string_view(p_, word.size()) != word)
      return false;
    p_ += word.size();
    return true;
  }

  bool value(int depth) {
    ws();
    if (p_ == end_)
      return false;
    switch (*p_) {
      case '{':
        return object(depth + 1);
      case '[':
        return array(depth + 1);
      case '"': {
        std::string_view s;
        bool escaped = false;
        return string(s, escaped);
      }
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default:
        return integer(true);
    }
  }

 private:
  void ws() {
    while (
        p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r'))
      p_++;
  }

  bool object(int depth) {
    if (depth > kMaxDepth || !eat('{'))
      return false;
    if (eat('}'))
      return true;
    do {
      std::string_view key;
      bool escaped = false;
      if (!string(key, escaped) || !eat(':') || !value(depth))
        return false;
    } while (eat(','));
    return eat('}');
  }

  bool array(int depth) {
    if (depth > kMaxDepth || !eat('['))
      return false;
    if (eat(']'))
      return true;
    do {
      if (!value(depth))
        return false;
    } while (eat(','));
    return eat(']');
  }

  const char *p_;
  const char *end_;
};

/* The ice object: a string "candidate" (required), "sdpMLineIndex" null or
 * a non-negative integer, anything else as it is. */
bool
ice_object(Scanner &s) {
  if (!s.eat('{'))
    return false;
  bool candidate = false;
  bool index = false;
  if (s.peek('}'))
    return false;
  do {
    std::string_view key;
    if (!s.plain_string(key) || !s.eat(':'))
      return false;
    if (key == "candidate") {
      std::string_view text;
      bool escaped = false;
      if (candidate || !s.string(text, escaped))
        return false;
      candidate = true;
    } else if (key == "sdpMLineIndex") {
      if (index || !(s.literal("null") || s.integer(false)))
        return false;
      index = true;
    } else if (!s.value(1)) {
      return false;
    }
  } while (s.eat(','));
  return s.eat('}') && candidate;
}

} // namespace

bool
scan_peer_ice(std::string_view text, PeerIce &out) {
  if (!g_utf8_validate_len(text.data(), text.size(), nullptr))
    return false;
  Scanner s(text);
  if (!s.eat('{') || s.peek('}'))
    return false;
  bool type = false;
  bool session = false;
  bool ice = false;
  do {
    std::string_view key;
    if (!s.plain_string(key) || !s.eat(':'))
      return false;
    if (key == "type") {
      std::string_view value;
      if (type || !s.plain_string(value) || value != "peer")
        return false;
      type = true;
    } else if (key == "sessionId") {
      if (session || !s.plain_string(out.session_id))
        return false;
      session = true;
    } else if (key == "ice") {
      const char *start = s.pos();
      if (ice || !ice_object(s))
        return false;
      out.ice = std::string_view(start, static_cast<size_t>(s.pos() - start));
      /* pos() skipped the whitespace after the object: trim it back. */
      while (!out.ice.empty() && out.ice.back() != '}')
        out.ice.remove_suffix(1);
      ice = true;
    } else if (key == "sdp") {
      return false;
    } else if (!s.value(0)) {
      return false;
    }
  } while (s.eat(','));
  return s.eat('}') && s.at_end() && type && session && ice;
}

std::string
serialize_peer_ice(std::string_view session_id, std::string_view ice) {
  static constexpr std::string_view kHead = R"({"type":"peer","sessionId":")";
  static constexpr std::string_view kIce = R"(","ice":)";
  std::string out;
  out.reserve(kHead.size() + session_id.size() + kIce.size() + ice.size() + 1);
  out.append(kHead).append(session_id).append(kIce).append(ice).append("}");
  return out;
}

} // namespace gws::protocol
