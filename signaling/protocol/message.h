/* gst-webrtc-session: the relay protocol's messages and their JSON codec.
 *
 * One JSON object per WebSocket text message, with a "type" field
 * (docs/protocol.md). The codec is shared by the relay server and by the
 * WebSocket signaller, so it parses and writes both directions. It knows the
 * shape of each message, not the rules of the conversation (that is the
 * router's job). Payloads that the relay only carries (sdp, ice, meta) are
 * kept as JSON nodes and written back unchanged, so fields this code does not
 * know about (sdpMid, usernameFragment, ...) survive the trip. */
#pragma once

#include <json-glib/json-glib.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gws::protocol {

enum class Type {
  Welcome,
  SetProtocolVersion,
  SetPeerStatus,
  PeerStatusChanged,
  StartSession,
  SessionStarted,
  Peer,
  EndSession,
  EndSessionV1_1,
  List,
  ListConsumers,
  Error,
};

const char *type_name(Type type);

/* Roles are a bit set; the wire form is an array of names. */
enum Role : uint8_t {
  kProducer = 1 << 0,
  kConsumer = 1 << 1,
  kListener = 1 << 2,
};
using Roles = uint8_t;

enum class Version { V1_0, V1_1 };
const char *version_name(Version v);
std::optional<Version> parse_version(std::string_view name);

/* An immutable JSON value shared between messages (meta, sdp, ice). */
using Json = std::shared_ptr<JsonNode>;
Json adopt_json(JsonNode *node); /* takes ownership of one reference */
/* nullptr when not an object (or not one json_numbers_finite() takes) */
Json parse_json_object(std::string_view text);
/* False when a number in the tree is infinite: json-glib reads one too
 * large for a double (1e999) as infinity and writes it back as "inf.0",
 * which is not JSON, so a message holding one is refused rather than
 * forwarded broken. */
bool json_numbers_finite(JsonNode *root);
std::string json_to_string(const Json &node);

struct PeerEntry {
  std::string id;
  Json meta; /* nullptr means null */
};

struct Message {
  Type type = Type::Error;
  std::string peer_id; /* welcome, setPeerStatus (claim), startSession,
                          sessionStarted, peerStatusChanged */
  bool has_peer_id = false;
  std::string session_id;
  Version version = Version::V1_0;   /* setProtocolVersion */
  Roles roles = 0;                   /* setPeerStatus, peerStatusChanged */
  Json meta;                         /* setPeerStatus, peerStatusChanged */
  std::optional<std::string> offer;  /* startSession */
  Json sdp;                          /* peer: {type, sdp} */
  Json ice;                          /* peer: {candidate, sdpMLineIndex, ...} */
  std::optional<std::string> reason; /* endSessionV1_1 "error" */
  std::string details;               /* error */
  std::vector<PeerEntry> peers;      /* list / listConsumers replies */
  bool is_reply = false; /* list/listConsumers: carries the peers array */
};

struct ParseResult {
  std::optional<Message> message;
  std::string error; /* set when message is empty: why it was refused */
};

/* Parses one text frame. Never throws; a refusal says why in words a peer
 * can act on ("setPeerStatus: roles must be an array of strings"). */
ParseResult parse(std::string_view text);

/* Writes one message as compact JSON. */
std::string serialize(const Message &msg);

/* Convenience constructors for the messages code sends most. */
Message make_error(std::string details);
Message make_welcome(std::string peer_id);

/* Accessors for peer payloads, for clients that act on them. */
std::optional<std::string> sdp_type(const Message &msg);
std::optional<std::string> sdp_text(const Message &msg);
std::optional<std::string> ice_candidate(const Message &msg);
std::optional<unsigned> ice_mline_index(const Message &msg);
std::optional<std::string> ice_mid(const Message &msg);

/* Builders for the peer payloads a client sends. */
Json make_sdp(std::string_view type, std::string_view sdp);
Json make_ice(std::string_view candidate, unsigned mline_index,
    const char *mid /* nullable */);

} // namespace gws::protocol
