/* gst-webrtc-session: JSON codec for the relay protocol (see message.h). */
#include "message.h"

#include <array>
#include <cmath>
#include <cstring>
#include <vector>

namespace gws::protocol {
namespace {

struct TypeName {
  Type type;
  const char *name;
};

constexpr std::array<TypeName, 12> kTypeNames{{
    {Type::Welcome, "welcome"},
    {Type::SetProtocolVersion, "setProtocolVersion"},
    {Type::SetPeerStatus, "setPeerStatus"},
    {Type::PeerStatusChanged, "peerStatusChanged"},
    {Type::StartSession, "startSession"},
    {Type::SessionStarted, "sessionStarted"},
    {Type::Peer, "peer"},
    {Type::EndSession, "endSession"},
    {Type::EndSessionV1_1, "endSessionV1_1"},
    {Type::List, "list"},
    {Type::ListConsumers, "listConsumers"},
    {Type::Error, "error"},
}};

struct RoleName {
  Role role;
  const char *name;
};

constexpr std::array<RoleName, 3> kRoleNames{{
    {kProducer, "producer"},
    {kConsumer, "consumer"},
    {kListener, "listener"},
}};

/* Reads optional/required members with the type checks every message needs.
 * Each getter returns false and fills `error` when the member is present but
 * of the wrong type, or required and missing. */
class Reader {
 public:
  Reader(JsonObject *obj, const char *type) : obj_(obj), type_(type) {}

  bool string(const char *name, std::string &out, bool required) {
    JsonNode *node = json_object_get_member(obj_, name);
    if (!node) {
      if (required)
        fail(name, "is required");
      return !required;
    }
    if (JSON_NODE_HOLDS_VALUE(node)
        && json_node_get_value_type(node) == G_TYPE_STRING) {
      out = json_node_get_string(node);
      return true;
    }
    fail(name, "must be a string");
    return false;
  }

  /* String or null: null leaves `out` empty. */
  bool nullable_string(const char *name, std::optional<std::string> &out) {
    JsonNode *node = json_object_get_member(obj_, name);
    if (!node || JSON_NODE_HOLDS_NULL(node))
      return true;
    std::string s;
    if (!string(name, s, true))
      return false;
    out = std::move(s);
    return true;
  }

  /* An object (or null when allow_null), kept as a shared node. */
  bool object(const char *name, Json &out, bool required, bool allow_null) {
    JsonNode *node = json_object_get_member(obj_, name);
    if (!node) {
      if (required)
        fail(name, "is required");
      return !required;
    }
    if (JSON_NODE_HOLDS_NULL(node) && allow_null)
      return true;
    if (!JSON_NODE_HOLDS_OBJECT(node)) {
      fail(
          name, allow_null ? "must be an object or null" : "must be an object");
      return false;
    }
    out = adopt_json(json_node_copy(node));
    return true;
  }

  bool roles(Roles &out) {
    JsonNode *node = json_object_get_member(obj_, "roles");
    if (!node) {
      fail("roles", "is required");
      return false;
    }
    if (!JSON_NODE_HOLDS_ARRAY(node)) {
      fail("roles", "must be an array of strings");
      return false;
    }
    JsonArray *arr = json_node_get_array(node);
    Roles roles = 0;
    for (guint i = 0; i < json_array_get_length(arr); i++) {
      JsonNode *el = json_array_get_element(arr, i);
      if (!JSON_NODE_HOLDS_VALUE(el)
          || json_node_get_value_type(el) != G_TYPE_STRING) {
        fail("roles", "must be an array of strings");
        return false;
      }
      const char *name = json_node_get_string(el);
      bool known = false;
      for (const auto &r : kRoleNames) {
        if (std::strcmp(r.name, name) == 0) {
          roles |= r.role;
          known = true;
        }
      }
      if (!known) {
        error_ = std::string(type_) + ": unknown role \"" + name
                 + "\" (expected producer, consumer or listener)";
        return false;
      }
    }
    out = roles;
    return true;
  }

  bool peers(const char *name, std::vector<PeerEntry> &out) {
    JsonNode *node = json_object_get_member(obj_, name);
    if (!node || !JSON_NODE_HOLDS_ARRAY(node)) {
      fail(name, "must be an array");
      return false;
    }
    JsonArray *arr = json_node_get_array(node);
    for (guint i = 0; i < json_array_get_length(arr); i++) {
      JsonNode *el = json_array_get_element(arr, i);
      if (!JSON_NODE_HOLDS_OBJECT(el)) {
        fail(name, "must hold objects");
        return false;
      }
      Reader entry(json_node_get_object(el), type_);
      PeerEntry p;
      if (!entry.string("id", p.id, true)
          || !entry.object("meta", p.meta, false, true)) {
        error_ = entry.error();
        return false;
      }
      out.push_back(std::move(p));
    }
    return true;
  }

  bool has(const char *name) const {
    return json_object_has_member(obj_, name);
  }

  const std::string &error() const { return error_; }

  void fail(const char *name, const char *what) {
    error_ = std::string(type_) + ": " + name + " " + what;
  }

 private:
  JsonObject *obj_;
  const char *type_;
  std::string error_;
};

bool
parse_body(Reader &r, Message &m) {
  switch (m.type) {
    case Type::Welcome:
      m.has_peer_id = true;
      return r.string("peerId", m.peer_id, true);
    case Type::SetProtocolVersion: {
      std::string v;
      if (!r.string("version", v, true))
        return false;
      auto parsed = parse_version(v);
      if (!parsed) {
        r.fail("version", "must be \"v1_0\" or \"v1_1\"");
        return false;
      }
      m.version = *parsed;
      return true;
    }
    case Type::SetPeerStatus:
      if (!r.roles(m.roles) || !r.object("meta", m.meta, false, true))
        return false;
      if (r.has("peerId")) {
        std::optional<std::string> claim;
        if (!r.nullable_string("peerId", claim))
          return false;
        if (claim) {
          m.peer_id = std::move(*claim);
          m.has_peer_id = true;
        }
      }
      return true;
    case Type::PeerStatusChanged:
      m.has_peer_id = true;
      return r.string("peerId", m.peer_id, true) && r.roles(m.roles)
             && r.object("meta", m.meta, false, true);
    case Type::StartSession: {
      m.has_peer_id = true;
      if (!r.string("peerId", m.peer_id, true)
          || !r.string("sessionId", m.session_id, false))
        return false;
      return r.nullable_string("offer", m.offer);
    }
    case Type::SessionStarted:
      m.has_peer_id = true;
      return r.string("peerId", m.peer_id, true)
             && r.string("sessionId", m.session_id, true);
    case Type::Peer: {
      if (!r.string("sessionId", m.session_id, true)
          || !r.object("sdp", m.sdp, false, false)
          || !r.object("ice", m.ice, false, false))
        return false;
      if (!m.sdp == !m.ice) {
        r.fail("sdp", "or ice is required (exactly one of them)");
        return false;
      }
      if (m.sdp) {
        Reader s(json_node_get_object(m.sdp.get()), "peer");
        std::string type, text;
        if (!s.string("type", type, true) || !s.string("sdp", text, true)) {
          r.fail("sdp", "must be {\"type\": ..., \"sdp\": ...}");
          return false;
        }
        if (type != "offer" && type != "answer") {
          r.fail("sdp.type", "must be \"offer\" or \"answer\"");
          return false;
        }
      } else {
        Reader c(json_node_get_object(m.ice.get()), "peer");
        std::string cand;
        if (!c.string("candidate", cand, true)) {
          r.fail("ice", "must carry a candidate string");
          return false;
        }
        JsonNode *idx = json_object_get_member(
            json_node_get_object(m.ice.get()), "sdpMLineIndex");
        if (idx && !JSON_NODE_HOLDS_NULL(idx)
            && !(JSON_NODE_HOLDS_VALUE(idx)
                 && json_node_get_value_type(idx) == G_TYPE_INT64
                 && json_node_get_int(idx) >= 0)) {
          r.fail("ice.sdpMLineIndex", "must be a non-negative integer");
          return false;
        }
      }
      return true;
    }
    case Type::EndSession:
      return r.string("sessionId", m.session_id, true);
    case Type::EndSessionV1_1:
      return r.string("sessionId", m.session_id, true)
             && r.nullable_string("error", m.reason);
    case Type::List:
      if (r.has("producers")) {
        m.is_reply = true;
        return r.peers("producers", m.peers);
      }
      return true;
    case Type::ListConsumers:
      if (r.has("consumers")) {
        m.is_reply = true;
        return r.peers("consumers", m.peers);
      }
      return true;
    case Type::Error:
      return r.string("details", m.details, true);
  }
  return false;
}

void
add_roles(JsonBuilder *b, Roles roles) {
  json_builder_set_member_name(b, "roles");
  json_builder_begin_array(b);
  for (const auto &r : kRoleNames)
    if (roles & r.role)
      json_builder_add_string_value(b, r.name);
  json_builder_end_array(b);
}

void
add_json(JsonBuilder *b, const char *name, const Json &node) {
  json_builder_set_member_name(b, name);
  if (node)
    json_builder_add_value(b, json_node_copy(node.get()));
  else
    json_builder_add_null_value(b);
}

void
add_string(JsonBuilder *b, const char *name, const std::string &value) {
  json_builder_set_member_name(b, name);
  json_builder_add_string_value(b, value.c_str());
}

void
add_peers(
    JsonBuilder *b, const char *name, const std::vector<PeerEntry> &peers) {
  json_builder_set_member_name(b, name);
  json_builder_begin_array(b);
  for (const auto &p : peers) {
    json_builder_begin_object(b);
    add_string(b, "id", p.id);
    add_json(b, "meta", p.meta);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
}

const char *
member_string(const Json &obj, const char *name) {
  if (!obj || !JSON_NODE_HOLDS_OBJECT(obj.get()))
    return nullptr;
  JsonNode *n = json_object_get_member(json_node_get_object(obj.get()), name);
  if (!n || !JSON_NODE_HOLDS_VALUE(n)
      || json_node_get_value_type(n) != G_TYPE_STRING)
    return nullptr;
  return json_node_get_string(n);
}

} // namespace

const char *
type_name(Type type) {
  for (const auto &t : kTypeNames)
    if (t.type == type)
      return t.name;
  return "?";
}

const char *
version_name(Version v) {
  return v == Version::V1_1 ? "v1_1" : "v1_0";
}

std::optional<Version>
parse_version(std::string_view name) {
  if (name == "v1_0")
    return Version::V1_0;
  if (name == "v1_1")
    return Version::V1_1;
  return std::nullopt;
}

Json
adopt_json(JsonNode *node) {
  return Json(node, [](JsonNode *n) {
    if (n)
      json_node_unref(n);
  });
}

bool
json_numbers_finite(JsonNode *root) {
  std::vector<JsonNode *> todo{root};
  while (!todo.empty()) {
    JsonNode *n = todo.back();
    todo.pop_back();
    if (!n)
      continue;
    if (JSON_NODE_HOLDS_OBJECT(n)) {
      JsonObjectIter it;
      JsonNode *member = nullptr;
      json_object_iter_init(&it, json_node_get_object(n));
      while (json_object_iter_next(&it, nullptr, &member))
        todo.push_back(member);
    } else if (JSON_NODE_HOLDS_ARRAY(n)) {
      JsonArray *a = json_node_get_array(n);
      for (guint i = 0; i < json_array_get_length(a); i++)
        todo.push_back(json_array_get_element(a, i));
    } else if (JSON_NODE_HOLDS_VALUE(n)
               && json_node_get_value_type(n) == G_TYPE_DOUBLE
               && !std::isfinite(json_node_get_double(n))) {
      return false;
    }
  }
  return true;
}

Json
parse_json_object(std::string_view text) {
  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  if (!json_parser_load_from_data(
          parser, text.data(), static_cast<gssize>(text.size()), nullptr))
    return nullptr;
  JsonNode *root = json_parser_get_root(parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT(root) || !json_numbers_finite(root))
    return nullptr;
  return adopt_json(json_node_ref(root));
}

std::string
json_to_string(const Json &node) {
  if (!node)
    return "null";
  g_autofree char *s = json_to_string(node.get(), FALSE);
  return s;
}

ParseResult
parse(std::string_view text) {
  ParseResult result;
  g_autoptr(JsonParser) parser = json_parser_new_immutable();
  g_autoptr(GError) err = nullptr;
  if (!json_parser_load_from_data(
          parser, text.data(), static_cast<gssize>(text.size()), &err)) {
    result.error = std::string("malformed JSON: ")
                   + (err ? err->message : "unknown error");
    return result;
  }
  JsonNode *root = json_parser_get_root(parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
    result.error = "a message must be a JSON object";
    return result;
  }
  if (!json_numbers_finite(root)) {
    result.error = "malformed JSON: a number too large for a double";
    return result;
  }
  JsonObject *obj = json_node_get_object(root);
  JsonNode *type_node = json_object_get_member(obj, "type");
  if (!type_node || !JSON_NODE_HOLDS_VALUE(type_node)
      || json_node_get_value_type(type_node) != G_TYPE_STRING) {
    result.error = "a message must have a string \"type\"";
    return result;
  }
  const char *type = json_node_get_string(type_node);
  Message m;
  bool known = false;
  for (const auto &t : kTypeNames) {
    if (std::strcmp(t.name, type) == 0) {
      m.type = t.type;
      known = true;
      break;
    }
  }
  if (!known) {
    result.error = std::string("unknown message type \"") + type + "\"";
    return result;
  }
  Reader reader(obj, type_name(m.type));
  if (!parse_body(reader, m)) {
    result.error = reader.error();
    return result;
  }
  result.message = std::move(m);
  return result;
}

std::string
serialize(const Message &m) {
  g_autoptr(JsonBuilder) b = json_builder_new_immutable();
  json_builder_begin_object(b);
  add_string(b, "type", type_name(m.type));
  switch (m.type) {
    case Type::Welcome:
      add_string(b, "peerId", m.peer_id);
      break;
    case Type::SetProtocolVersion:
      add_string(b, "version", version_name(m.version));
      break;
    case Type::SetPeerStatus:
      add_roles(b, m.roles);
      add_json(b, "meta", m.meta);
      if (m.has_peer_id)
        add_string(b, "peerId", m.peer_id);
      break;
    case Type::PeerStatusChanged:
      add_string(b, "peerId", m.peer_id);
      add_roles(b, m.roles);
      add_json(b, "meta", m.meta);
      break;
    case Type::StartSession:
      add_string(b, "peerId", m.peer_id);
      if (!m.session_id.empty())
        add_string(b, "sessionId", m.session_id);
      if (m.offer)
        add_string(b, "offer", *m.offer);
      break;
    case Type::SessionStarted:
      add_string(b, "peerId", m.peer_id);
      add_string(b, "sessionId", m.session_id);
      break;
    case Type::Peer:
      add_string(b, "sessionId", m.session_id);
      if (m.sdp)
        add_json(b, "sdp", m.sdp);
      else
        add_json(b, "ice", m.ice);
      break;
    case Type::EndSession:
      add_string(b, "sessionId", m.session_id);
      break;
    case Type::EndSessionV1_1:
      add_string(b, "sessionId", m.session_id);
      json_builder_set_member_name(b, "error");
      if (m.reason)
        json_builder_add_string_value(b, m.reason->c_str());
      else
        json_builder_add_null_value(b);
      break;
    case Type::List:
      if (m.is_reply)
        add_peers(b, "producers", m.peers);
      break;
    case Type::ListConsumers:
      if (m.is_reply)
        add_peers(b, "consumers", m.peers);
      break;
    case Type::Error:
      add_string(b, "details", m.details);
      break;
  }
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  g_autofree char *text = json_to_string(root, FALSE);
  return text;
}

Message
make_error(std::string details) {
  Message m;
  m.type = Type::Error;
  m.details = std::move(details);
  return m;
}

Message
make_welcome(std::string peer_id) {
  Message m;
  m.type = Type::Welcome;
  m.peer_id = std::move(peer_id);
  m.has_peer_id = true;
  return m;
}

std::optional<std::string>
sdp_type(const Message &msg) {
  const char *s = member_string(msg.sdp, "type");
  return s ? std::optional<std::string>(s) : std::nullopt;
}

std::optional<std::string>
sdp_text(const Message &msg) {
  const char *s = member_string(msg.sdp, "sdp");
  return s ? std::optional<std::string>(s) : std::nullopt;
}

std::optional<std::string>
ice_candidate(const Message &msg) {
  const char *s = member_string(msg.ice, "candidate");
  return s ? std::optional<std::string>(s) : std::nullopt;
}

std::optional<unsigned>
ice_mline_index(const Message &msg) {
  if (!msg.ice)
    return std::nullopt;
  JsonNode *n = json_object_get_member(
      json_node_get_object(msg.ice.get()), "sdpMLineIndex");
  if (!n || !JSON_NODE_HOLDS_VALUE(n)
      || json_node_get_value_type(n) != G_TYPE_INT64
      || json_node_get_int(n) < 0)
    return std::nullopt;
  return static_cast<unsigned>(json_node_get_int(n));
}

std::optional<std::string>
ice_mid(const Message &msg) {
  const char *s = member_string(msg.ice, "sdpMid");
  return s ? std::optional<std::string>(s) : std::nullopt;
}

Json
make_sdp(std::string_view type, std::string_view sdp) {
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "type");
  json_builder_add_string_value(b, std::string(type).c_str());
  json_builder_set_member_name(b, "sdp");
  json_builder_add_string_value(b, std::string(sdp).c_str());
  json_builder_end_object(b);
  return adopt_json(json_builder_get_root(b));
}

Json
make_ice(std::string_view candidate, unsigned mline_index, const char *mid) {
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "candidate");
  json_builder_add_string_value(b, std::string(candidate).c_str());
  json_builder_set_member_name(b, "sdpMLineIndex");
  json_builder_add_int_value(b, mline_index);
  if (mid) {
    json_builder_set_member_name(b, "sdpMid");
    json_builder_add_string_value(b, mid);
  }
  json_builder_end_object(b);
  return adopt_json(json_builder_get_root(b));
}

} // namespace gws::protocol
