/* gst-webrtc-session: the offline exchange's text blob (offline-blob.h). */
#include "offline-blob.h"

#include <zlib.h>

#include <cstdio>
#include <cstring>
#include <vector>

namespace gws {
namespace offline {

namespace {

const char kAlphabet[]
    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string
base64url_encode(const unsigned char *data, size_t len) {
  std::string out;
  out.reserve((len + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < len; i += 3) {
    unsigned v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == len) {
    unsigned v = data[i] << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (i + 2 == len) {
    unsigned v = (data[i] << 16) | (data[i + 1] << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

int
base64_value(char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '-' || c == '+')
    return 62;
  if (c == '_' || c == '/')
    return 63;
  return -1;
}

/* Accepts the URL-safe and the standard alphabet, with or without '='
 * padding. False on any other character or an impossible length. */
bool
base64_decode(const std::string &in, std::vector<unsigned char> &out) {
  size_t len = in.size();
  while (len > 0 && in[len - 1] == '=')
    len--;
  if (len % 4 == 1)
    return false;
  out.clear();
  out.reserve(len * 3 / 4);
  unsigned acc = 0;
  int bits = 0;
  for (size_t i = 0; i < len; i++) {
    int v = base64_value(in[i]);
    if (v < 0)
      return false;
    acc = (acc << 6) | unsigned(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<unsigned char>((acc >> bits) & 0xff));
    }
  }
  return true;
}

bool
is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f'
         || c == '\v';
}

DecodeResult
fail(BlobError error, std::string message) {
  DecodeResult r;
  r.error = error;
  r.message = std::move(message);
  return r;
}

std::string
crc_hex(const std::string &payload) {
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, reinterpret_cast<const Bytef *>(payload.data()),
      static_cast<uInt>(payload.size()));
  char buf[9];
  snprintf(buf, sizeof buf, "%08lx", crc & 0xffffffffUL);
  return buf;
}

/* Inflates @in (zlib format); Truncated when the stream stops early,
 * Damaged when it is not zlib data or grows past kMaxPayload. */
BlobError
inflate_all(const std::vector<unsigned char> &in, std::string &out) {
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  if (inflateInit(&zs) != Z_OK)
    return BlobError::Damaged;
  zs.next_in = const_cast<Bytef *>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  std::vector<char> chunk(16384);
  int ret = Z_OK;
  out.clear();
  while (ret == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef *>(chunk.data());
    zs.avail_out = static_cast<uInt>(chunk.size());
    ret = inflate(&zs, Z_NO_FLUSH);
    out.append(chunk.data(), chunk.size() - zs.avail_out);
    if (out.size() > kMaxPayload) {
      inflateEnd(&zs);
      return BlobError::Damaged;
    }
    if (ret == Z_BUF_ERROR && zs.avail_in == 0)
      break; /* input ended before the stream did */
  }
  inflateEnd(&zs);
  if (ret == Z_STREAM_END)
    return BlobError::None;
  if (ret == Z_BUF_ERROR || (ret == Z_OK && zs.avail_in == 0))
    return BlobError::Truncated;
  return BlobError::Damaged;
}

const char *kCopyAgain = ": copy it again, whole";

} // namespace

std::string
encode_blob(const std::string &type, const std::string &session,
    const std::string &sdp) {
  std::string payload = type + "\n" + session + "\n" + sdp;
  uLongf bound = compressBound(static_cast<uLong>(payload.size()));
  std::vector<unsigned char> packed(bound);
  if (compress2(packed.data(), &bound,
          reinterpret_cast<const Bytef *>(payload.data()),
          static_cast<uLong>(payload.size()), Z_BEST_COMPRESSION)
      != Z_OK)
    return std::string();
  return std::string(kBlobPrefix) + base64url_encode(packed.data(), bound) + "."
         + crc_hex(payload);
}

DecodeResult
decode_blob(const std::string &text) {
  std::string s;
  s.reserve(text.size());
  for (char c : text) {
    if (!is_space(c))
      s += c;
  }
  if (s.empty())
    return fail(BlobError::Empty, "the description is empty");

  /* Plain SDP, as another WebRTC tool prints it: whitespace matters there
   * (line ends), so it is kept from @text. */
  if (s.compare(0, 3, "v=0") == 0) {
    size_t start = text.find("v=0");
    DecodeResult r;
    r.blob.plain_sdp = true;
    r.blob.sdp = text.substr(start);
    if (r.blob.sdp.find("\nm=") == std::string::npos)
      return fail(BlobError::BadContent,
          "the SDP has no media line (\"m=\"): it is not a whole session "
          "description");
    return r;
  }

  if (s.size() < 5 || (s[0] != 'G' && s[0] != 'g')
      || (s[1] != 'W' && s[1] != 'w') || (s[2] != 'S' && s[2] != 's'))
    return fail(BlobError::NotABlob,
        "this is not an offline description (it starts neither with "
        "\"GWS1.\" nor with an SDP \"v=0\" line)");
  size_t dot = s.find('.', 3);
  if (dot == std::string::npos)
    return fail(BlobError::Truncated,
        "the description ends after its prefix (no data): the paste was "
        "cut off"
            + std::string(kCopyAgain));
  std::string version = s.substr(3, dot - 3);
  if (version != "1")
    return fail(BlobError::UnknownVersion,
        "the description has format version " + version.substr(0, 8)
            + "; this build reads version 1 only (update the older side)");

  size_t dot2 = s.find('.', dot + 1);
  if (dot2 == std::string::npos)
    return fail(BlobError::Truncated,
        "the description has no checksum at its end: the paste was cut off"
            + std::string(kCopyAgain));
  std::string data = s.substr(dot + 1, dot2 - dot - 1);
  std::string crc = s.substr(dot2 + 1);
  if (crc.size() < 8)
    return fail(BlobError::Truncated,
        "the description's checksum is incomplete: the paste was cut off"
            + std::string(kCopyAgain));
  if (crc.size() > 8
      || crc.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
    return fail(BlobError::Damaged,
        "the description's checksum \"" + crc.substr(0, 16)
            + "\" is not 8 hex digits: it was changed or two descriptions "
              "were pasted together"
            + kCopyAgain);

  std::vector<unsigned char> packed;
  if (!base64_decode(data, packed))
    return fail(BlobError::Damaged,
        "the description is damaged (characters that cannot be in it)"
            + std::string(kCopyAgain));
  std::string payload;
  BlobError inflated = inflate_all(packed, payload);
  if (inflated == BlobError::Truncated)
    return fail(BlobError::Truncated,
        "the description is incomplete (its data ends early)"
            + std::string(kCopyAgain));
  if (inflated != BlobError::None)
    return fail(BlobError::Damaged,
        "the description is damaged (its data does not decompress)"
            + std::string(kCopyAgain));
  std::string want = crc_hex(payload);
  for (char &c : crc)
    c = static_cast<char>(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
  if (want != crc)
    return fail(BlobError::Damaged,
        "the description is damaged (checksum mismatch: " + crc + " given, "
            + want + " computed)" + kCopyAgain);

  size_t nl1 = payload.find('\n');
  size_t nl2 = nl1 == std::string::npos ? nl1 : payload.find('\n', nl1 + 1);
  if (nl2 == std::string::npos)
    return fail(
        BlobError::BadContent, "the description has no type and session line");
  DecodeResult r;
  r.blob.type = payload.substr(0, nl1);
  r.blob.session = payload.substr(nl1 + 1, nl2 - nl1 - 1);
  r.blob.sdp = payload.substr(nl2 + 1);
  if (r.blob.type != "offer" && r.blob.type != "answer")
    return fail(BlobError::BadContent,
        "the description is neither an offer nor an answer");
  if (r.blob.session.empty() || r.blob.session.size() > 128)
    return fail(
        BlobError::BadContent, "the description has no usable session id");
  for (char c : r.blob.session) {
    if (c <= ' ' || c > '~')
      return fail(
          BlobError::BadContent, "the description has no usable session id");
  }
  if (r.blob.sdp.compare(0, 3, "v=0") != 0
      || r.blob.sdp.find("\nm=") == std::string::npos)
    return fail(BlobError::BadContent,
        "the description holds no usable SDP (no v=0 line or no media line)");
  return r;
}

} // namespace offline
} // namespace gws
