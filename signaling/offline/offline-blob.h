/* gst-webrtc-session: the offline exchange's text blob.
 *
 * One complete session description (offer or answer, every candidate in
 * it) as a compact, copy-pasteable line:
 *
 *   GWS1.<base64url of zlib(payload)>.<crc32 of payload, 8 hex digits>
 *
 * where payload is "offer|answer" LF session-id LF SDP. The version comes
 * first so a newer format is refused by name, the checksum last so a cut
 * paste is told apart from a mangled one. Whitespace anywhere (line wraps
 * of a mail or chat client) is ignored when decoding. Plain SDP text
 * ("v=0 ...") is accepted too; it carries no type and no session id.
 *
 * Pure functions, no GLib main loop, no I/O: decode_blob() takes any
 * bytes (it is the fuzzing target) and never allocates more than
 * kMaxPayload for the inflated text. */
#pragma once

#include <string>

namespace gws {
namespace offline {

constexpr const char *kBlobPrefix = "GWS1.";
/* Largest inflated payload accepted (a description with hundreds of
 * candidates is ~30 KB). */
constexpr size_t kMaxPayload = 256 * 1024;

enum class BlobError {
  None,
  Empty,          /* nothing but whitespace */
  NotABlob,       /* neither GWS<n>. nor SDP */
  UnknownVersion, /* GWS2. or later */
  Truncated,      /* checksum or data missing: the paste was cut */
  Damaged,        /* checksum mismatch, bad base64, bad compressed data */
  BadContent,     /* decodes, but not a type / session / SDP */
};

struct Blob {
  std::string type;    /* "offer" or "answer"; empty for plain SDP */
  std::string session; /* the offer's session id; empty for plain SDP */
  std::string sdp;
  bool plain_sdp = false;
};

struct DecodeResult {
  BlobError error = BlobError::None;
  std::string message; /* for a user, when error != None */
  Blob blob;
  bool ok() const { return error == BlobError::None; }
};

/* @type "offer" or "answer"; @session printable, no whitespace. */
std::string encode_blob(const std::string &type, const std::string &session,
    const std::string &sdp);

DecodeResult decode_blob(const std::string &text);

} // namespace offline
} // namespace gws
