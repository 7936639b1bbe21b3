/* gst-webrtc-session: Janus API messages as pure functions (see
 * janus-protocol.h). */
#include "janus-protocol.h"

#include <gst/sdp/sdp.h>

#include <algorithm>
#include <cstring>

namespace gws::janus {

namespace {

struct UriUnref {
  void operator()(GUri *u) const { g_uri_unref(u); }
};

bool
all_digits(const std::string &s) {
  return !s.empty() && s.size() < 20
         && std::all_of(s.begin(), s.end(),
             [](unsigned char c) { return c >= '0' && c <= '9'; });
}

std::string
lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
      [](unsigned char c) { return g_ascii_tolower(c); });
  return s;
}

std::string
to_text(JsonBuilder *b) {
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  g_autoptr(JsonGenerator) gen = json_generator_new();
  json_generator_set_root(gen, root);
  g_autofree gchar *text = json_generator_to_data(gen, nullptr);
  return text ? text : "";
}

/* Starts {"janus": kind, "transaction": t, ...} with the token. */
JsonBuilder *
begin(const char *kind, const std::string &transaction, const Target &t) {
  JsonBuilder *b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "janus");
  json_builder_add_string_value(b, kind);
  json_builder_set_member_name(b, "transaction");
  json_builder_add_string_value(b, transaction.c_str());
  if (!t.token.empty()) {
    json_builder_set_member_name(b, "token");
    json_builder_add_string_value(b, t.token.c_str());
  }
  return b;
}

void
add_u64(JsonBuilder *b, const char *member, guint64 v) {
  json_builder_set_member_name(b, member);
  json_builder_add_int_value(b, static_cast<gint64>(v));
}

void
add_str(JsonBuilder *b, const char *member, const std::string &v) {
  json_builder_set_member_name(b, member);
  json_builder_add_string_value(b, v.c_str());
}

std::string
finish(JsonBuilder *b) {
  json_builder_end_object(b);
  std::string text = to_text(b);
  g_object_unref(b);
  return text;
}

const char *
get_str(JsonObject *o, const char *member) {
  if (!o || !json_object_has_member(o, member))
    return nullptr;
  JsonNode *n = json_object_get_member(o, member);
  if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING)
    return json_node_get_string(n);
  return nullptr;
}

/* A number or a string member, as text. */
std::optional<std::string>
get_id(JsonObject *o, const char *member) {
  if (!o || !json_object_has_member(o, member))
    return std::nullopt;
  JsonNode *n = json_object_get_member(o, member);
  if (!JSON_NODE_HOLDS_VALUE(n))
    return std::nullopt;
  GType type = json_node_get_value_type(n);
  if (type == G_TYPE_INT64)
    return std::to_string(json_node_get_int(n));
  if (type == G_TYPE_STRING)
    return std::string(json_node_get_string(n));
  return std::nullopt;
}

guint64
get_u64(JsonObject *o, const char *member) {
  if (!o || !json_object_has_member(o, member))
    return 0;
  JsonNode *n = json_object_get_member(o, member);
  if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64)
    return static_cast<guint64>(json_node_get_int(n));
  return 0;
}

JsonObject *
get_obj(JsonObject *o, const char *member) {
  if (!o || !json_object_has_member(o, member))
    return nullptr;
  JsonNode *n = json_object_get_member(o, member);
  return JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : nullptr;
}

bool
get_bool(JsonObject *o, const char *member) {
  if (!o || !json_object_has_member(o, member))
    return false;
  JsonNode *n = json_object_get_member(o, member);
  return JSON_NODE_HOLDS_VALUE(n)
         && json_node_get_value_type(n) == G_TYPE_BOOLEAN
         && json_node_get_boolean(n);
}

} // namespace

void
add_id(JsonBuilder *b, const char *member, const std::string &id) {
  json_builder_set_member_name(b, member);
  if (all_digits(id))
    json_builder_add_int_value(b, g_ascii_strtoll(id.c_str(), nullptr, 10));
  else
    json_builder_add_string_value(b, id.c_str());
}

std::optional<Target>
parse_uri(const std::string &uri, std::string &error) {
  g_autoptr(GError) err = nullptr;
  std::unique_ptr<GUri, UriUnref> parsed(
      g_uri_parse(uri.c_str(), G_URI_FLAGS_ENCODED_QUERY, &err));
  if (!parsed) {
    error = "invalid Janus URI \"" + uri + "\": " + err->message;
    return std::nullopt;
  }
  std::string scheme = lower(g_uri_get_scheme(parsed.get()));
  Target t;
  if (scheme == "janus+ws" || scheme == "janus")
    t.tls = false;
  else if (scheme == "janus+wss")
    t.tls = true;
  else {
    error = "Janus URI \"" + uri + "\" must be janus+ws:// or janus+wss://";
    return std::nullopt;
  }
  const char *host = g_uri_get_host(parsed.get());
  if (!host || !*host) {
    error = "Janus URI \"" + uri + "\" has no host";
    return std::nullopt;
  }
  if (const char *q = g_uri_get_query(parsed.get())) {
    GUriParamsIter iter;
    g_uri_params_iter_init(&iter, q, -1, "&", G_URI_PARAMS_NONE);
    gchar *name = nullptr, *value = nullptr;
    g_autoptr(GError) qerr = nullptr;
    while (g_uri_params_iter_next(&iter, &name, &value, &qerr)) {
      std::string n = name ? name : "", v = value ? value : "";
      g_free(name);
      g_free(value);
      if (n == "room")
        t.room = v;
      else if (n == "display")
        t.display = v;
      else if (n == "feed")
        t.feed = v;
      else if (n == "pin")
        t.pin = v;
      else if (n == "token")
        t.token = v;
      else if (n == "secret")
        t.secret = v;
      else if (n == "create")
        t.create = v == "true" || v == "1" || v == "yes";
      else if (n == "bitrate") {
        gchar *end = nullptr;
        guint64 b = g_ascii_strtoull(v.c_str(), &end, 10);
        if (v.empty() || !end || *end || b > G_MAXUINT) {
          error = "Janus URI \"" + uri + "\": bitrate \"" + v
                  + "\" is not a number of bit/s";
          return std::nullopt;
        }
        t.bitrate = static_cast<guint>(b);
      } else {
        error = "Janus URI \"" + uri + "\": unknown parameter \"" + n
                + "\" (room, display, feed, pin, token, secret, create, "
                  "bitrate)";
        return std::nullopt;
      }
    }
    if (qerr) {
      error = "Janus URI \"" + uri + "\": " + qerr->message;
      return std::nullopt;
    }
  }
  if (t.room.empty()) {
    error = "Janus URI \"" + uri + "\" names no room (add ?room=1234)";
    return std::nullopt;
  }
  const char *path = g_uri_get_path(parsed.get());
  g_autofree gchar *url = g_uri_join(G_URI_FLAGS_NONE, t.tls ? "wss" : "ws",
      nullptr, host, g_uri_get_port(parsed.get()), (path && *path) ? path : "/",
      nullptr, nullptr);
  t.ws_url = url;
  return t;
}

std::string
make_create(const std::string &transaction, const Target &t) {
  return finish(begin("create", transaction, t));
}

std::string
make_attach(const std::string &transaction, guint64 session, const Target &t) {
  JsonBuilder *b = begin("attach", transaction, t);
  add_u64(b, "session_id", session);
  add_str(b, "plugin", "janus.plugin.videoroom");
  return finish(b);
}

std::string
make_keepalive(
    const std::string &transaction, guint64 session, const Target &t) {
  JsonBuilder *b = begin("keepalive", transaction, t);
  add_u64(b, "session_id", session);
  return finish(b);
}

std::string
make_destroy(const std::string &transaction, guint64 session, const Target &t) {
  JsonBuilder *b = begin("destroy", transaction, t);
  add_u64(b, "session_id", session);
  return finish(b);
}

std::string
make_detach(const std::string &transaction, guint64 session, guint64 handle,
    const Target &t) {
  JsonBuilder *b = begin("detach", transaction, t);
  add_u64(b, "session_id", session);
  add_u64(b, "handle_id", handle);
  return finish(b);
}

std::string
make_message(const std::string &transaction, guint64 session, guint64 handle,
    const Target &t, const std::string &body, const std::string &jsep_type,
    const std::string &sdp) {
  JsonBuilder *b = begin("message", transaction, t);
  add_u64(b, "session_id", session);
  add_u64(b, "handle_id", handle);
  json_builder_set_member_name(b, "body");
  g_autoptr(JsonNode) body_node = json_from_string(body.c_str(), nullptr);
  if (body_node)
    json_builder_add_value(b, json_node_ref(body_node));
  else {
    json_builder_begin_object(b);
    json_builder_end_object(b);
  }
  if (!jsep_type.empty()) {
    json_builder_set_member_name(b, "jsep");
    json_builder_begin_object(b);
    add_str(b, "type", jsep_type);
    add_str(b, "sdp", sdp);
    json_builder_end_object(b);
  }
  return finish(b);
}

std::string
make_trickle(const std::string &transaction, guint64 session, guint64 handle,
    const Target &t, const std::string &candidate, guint mline_index,
    const char *mid) {
  JsonBuilder *b = begin("trickle", transaction, t);
  add_u64(b, "session_id", session);
  add_u64(b, "handle_id", handle);
  json_builder_set_member_name(b, "candidate");
  json_builder_begin_object(b);
  if (candidate.empty()) {
    json_builder_set_member_name(b, "completed");
    json_builder_add_boolean_value(b, TRUE);
  } else {
    add_str(b, "candidate", candidate);
    add_u64(b, "sdpMLineIndex", mline_index);
    if (mid)
      add_str(b, "sdpMid", mid);
  }
  json_builder_end_object(b);
  return finish(b);
}

namespace {
JsonBuilder *
begin_body(const char *request) {
  JsonBuilder *b = json_builder_new();
  json_builder_begin_object(b);
  add_str(b, "request", request);
  return b;
}
} // namespace

std::string
body_create_room(const Target &t) {
  JsonBuilder *b = begin_body("create");
  add_id(b, "room", t.room);
  if (!t.secret.empty()) {
    add_str(b, "secret", t.secret);
    add_str(b, "admin_key", t.secret);
  }
  if (!t.pin.empty())
    add_str(b, "pin", t.pin);
  add_u64(b, "publishers", 64);
  json_builder_set_member_name(b, "permanent");
  json_builder_add_boolean_value(b, FALSE);
  return finish(b);
}

std::string
body_join_publisher(const Target &t) {
  JsonBuilder *b = begin_body("join");
  add_str(b, "ptype", "publisher");
  add_id(b, "room", t.room);
  if (!t.display.empty())
    add_str(b, "display", t.display);
  if (!t.feed.empty())
    add_id(b, "id", t.feed);
  if (!t.pin.empty())
    add_str(b, "pin", t.pin);
  return finish(b);
}

std::string
body_publish(const Target &t, const std::string &videocodec,
    const std::string &audiocodec) {
  JsonBuilder *b = begin_body("publish");
  if (!videocodec.empty())
    add_str(b, "videocodec", videocodec);
  if (!audiocodec.empty())
    add_str(b, "audiocodec", audiocodec);
  if (t.bitrate)
    add_u64(b, "bitrate", t.bitrate);
  if (!t.display.empty())
    add_str(b, "display", t.display);
  return finish(b);
}

std::string
body_join_subscriber(const Target &t, const std::string &feed) {
  JsonBuilder *b = begin_body("join");
  add_str(b, "ptype", "subscriber");
  add_id(b, "room", t.room);
  if (!t.pin.empty())
    add_str(b, "pin", t.pin);
  json_builder_set_member_name(b, "streams");
  json_builder_begin_array(b);
  json_builder_begin_object(b);
  add_id(b, "feed", feed);
  json_builder_end_object(b);
  json_builder_end_array(b);
  return finish(b);
}

std::string
body_start() {
  return finish(begin_body("start"));
}

std::string
body_configure() {
  return finish(begin_body("configure"));
}

std::string
sdp_ice_ufrag(const std::string &sdp) {
  static const std::string key = "a=ice-ufrag:";
  size_t at = sdp.find(key);
  if (at == std::string::npos)
    return "";
  at += key.size();
  size_t end = sdp.find_first_of("\r\n", at);
  return sdp.substr(at, end == std::string::npos ? end : end - at);
}

std::string
body_list_participants(const Target &t) {
  JsonBuilder *b = begin_body("listparticipants");
  add_id(b, "room", t.room);
  return finish(b);
}

std::string
body_leave() {
  return finish(begin_body("leave"));
}

void
offer_codecs(
    const std::string &sdp, std::string &videocodec, std::string &audiocodec) {
  videocodec.clear();
  audiocodec.clear();
  GstSDPMessage *msg = nullptr;
  if (gst_sdp_message_new_from_text(sdp.c_str(), &msg) != GST_SDP_OK) {
    gst_sdp_message_free(msg);
    return;
  }
  for (guint i = 0; i < gst_sdp_message_medias_len(msg); i++) {
    const GstSDPMedia *m = gst_sdp_message_get_media(msg, i);
    const char *media = gst_sdp_media_get_media(m);
    bool video = g_strcmp0(media, "video") == 0;
    if (!video && g_strcmp0(media, "audio") != 0)
      continue;
    std::string &out = video ? videocodec : audiocodec;
    for (guint f = 0; f < gst_sdp_media_formats_len(m); f++) {
      std::string pt = gst_sdp_media_get_format(m, f);
      for (guint a = 0; a < gst_sdp_media_attributes_len(m); a++) {
        const GstSDPAttribute *attr = gst_sdp_media_get_attribute(m, a);
        if (g_strcmp0(attr->key, "rtpmap") != 0 || !attr->value)
          continue;
        std::string v = attr->value;
        if (v.rfind(pt + " ", 0) != 0)
          continue;
        std::string enc = lower(v.substr(pt.size() + 1));
        enc = enc.substr(0, enc.find('/'));
        if (enc == "rtx" || enc == "red" || enc == "ulpfec"
            || enc == "flexfec-03")
          break;
        std::string padded = "," + out + ",";
        if (padded.find("," + enc + ",") == std::string::npos)
          out += (out.empty() ? "" : ",") + enc;
        break;
      }
    }
  }
  gst_sdp_message_free(msg);
}

std::optional<Incoming>
parse(const std::string &text, std::string &error) {
  g_autoptr(GError) err = nullptr;
  JsonNode *node = json_from_string(text.c_str(), &err);
  if (!node) {
    error = err ? err->message : "empty message";
    return std::nullopt;
  }
  NodePtr root(node, JsonNodeDeleter());
  if (!JSON_NODE_HOLDS_OBJECT(node)) {
    error = "not a JSON object";
    return std::nullopt;
  }
  JsonObject *o = json_node_get_object(node);
  const char *kind = get_str(o, "janus");
  if (!kind || !*kind) {
    error = kind ? "an empty \"janus\" member" : "no \"janus\" member";
    return std::nullopt;
  }
  Incoming in;
  in.root = root;
  in.janus = kind;
  if (const char *tr = get_str(o, "transaction"))
    in.transaction = tr;
  in.session_id = get_u64(o, "session_id");
  in.sender = get_u64(o, "sender");
  if (JsonObject *data = get_obj(o, "data"))
    in.data_id = get_u64(data, "id");
  if (JsonObject *e = get_obj(o, "error")) {
    in.error_code = static_cast<gint>(get_u64(e, "code"));
    if (const char *r = get_str(e, "reason"))
      in.error_reason = r;
  }
  if (JsonObject *pd = get_obj(o, "plugindata")) {
    in.plugin_data = get_obj(pd, "data");
    if (const char *v = get_str(in.plugin_data, "videoroom"))
      in.videoroom = v;
    if (in.plugin_data
        && json_object_has_member(in.plugin_data, "error_code")) {
      in.error_code = static_cast<gint>(get_u64(in.plugin_data, "error_code"));
      if (const char *r = get_str(in.plugin_data, "error"))
        in.error_reason = r;
    }
  }
  if (JsonObject *jsep = get_obj(o, "jsep")) {
    const char *type = get_str(jsep, "type");
    const char *sdp = get_str(jsep, "sdp");
    if (type && sdp) {
      in.jsep_type = type;
      in.jsep_sdp = sdp;
    }
  }
  if (JsonObject *c = get_obj(o, "candidate")) {
    in.has_candidate = true;
    if (get_bool(c, "completed"))
      in.candidates_completed = true;
    if (const char *cand = get_str(c, "candidate"))
      in.candidate = cand;
    if (const char *mid = get_str(c, "sdpMid"))
      in.candidate_mid = mid;
    in.candidate_mline = static_cast<guint>(get_u64(c, "sdpMLineIndex"));
    if (in.candidate.empty())
      in.candidates_completed = true;
  }
  if (const char *r = get_str(o, "reason"))
    in.reason = r;
  if (const char *t = get_str(o, "type"))
    in.media_type = t;
  else if (const char *m = get_str(o, "media"))
    in.media_type = m;
  if (const char *mid = get_str(o, "mid"))
    in.media_mid = mid;
  in.receiving = get_bool(o, "receiving");
  in.uplink = get_bool(o, "uplink");
  in.lost = static_cast<gint64>(get_u64(o, "lost"));
  return in;
}

std::optional<std::string>
data_id(const Incoming &in, const char *member) {
  return get_id(in.plugin_data, member);
}

std::string
find_publisher(
    const Incoming &in, const std::string &feed, const std::string &display) {
  if (!in.plugin_data)
    return {};
  const char *list_name = json_object_has_member(in.plugin_data, "participants")
                              ? "participants"
                              : "publishers";
  if (!json_object_has_member(in.plugin_data, list_name))
    return {};
  JsonNode *n = json_object_get_member(in.plugin_data, list_name);
  if (!JSON_NODE_HOLDS_ARRAY(n))
    return {};
  JsonArray *a = json_node_get_array(n);
  bool participants = std::strcmp(list_name, "participants") == 0;
  for (guint i = 0; i < json_array_get_length(a); i++) {
    JsonNode *e = json_array_get_element(a, i);
    if (!JSON_NODE_HOLDS_OBJECT(e))
      continue;
    JsonObject *p = json_node_get_object(e);
    if (participants && !get_bool(p, "publisher"))
      continue;
    auto id = get_id(p, "id");
    if (!id)
      continue;
    const char *d = get_str(p, "display");
    if (!feed.empty() && *id == feed)
      return *id;
    if (feed.empty() && !display.empty() && d && display == d)
      return *id;
    if (feed.empty() && display.empty())
      return *id; /* the first publisher */
  }
  return {};
}

namespace {

/* Whether a stream of an "updated" event's list is active; with
 * @media_only, data streams do not count. Nothing said: assume so. */
bool
stream_active(const Incoming &in, bool media_only) {
  if (!in.plugin_data || !json_object_has_member(in.plugin_data, "streams"))
    return true;
  JsonNode *n = json_object_get_member(in.plugin_data, "streams");
  if (!JSON_NODE_HOLDS_ARRAY(n))
    return true;
  JsonArray *a = json_node_get_array(n);
  for (guint i = 0; i < json_array_get_length(a); i++) {
    JsonNode *e = json_array_get_element(a, i);
    if (!JSON_NODE_HOLDS_OBJECT(e))
      continue;
    JsonObject *o = json_node_get_object(e);
    if (media_only) {
      const char *type = get_str(o, "type");
      if (g_strcmp0(type, "audio") != 0 && g_strcmp0(type, "video") != 0)
        continue;
    }
    if (!json_object_has_member(o, "active") || get_bool(o, "active"))
      return true;
  }
  return false;
}

} // namespace

bool
any_stream_active(const Incoming &in) {
  return stream_active(in, false);
}

bool
any_media_stream_active(const Incoming &in) {
  return stream_active(in, true);
}

std::string
new_transaction() {
  static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string t(12, 'x');
  for (auto &c : t)
    c = chars[g_random_int_range(0, sizeof(chars) - 1)];
  return t;
}

} // namespace gws::janus
