/* gst-webrtc-session: the Janus WebSocket API and its VideoRoom plugin as
 * pure functions: janus+ws:// URI parsing, request building, event parsing.
 * No I/O, no GObject: unit-tested (tests/janus/test_janus_protocol.cpp) and
 * fuzzed (tests/fuzz). The signaller (gws-janus-signaller.cpp) drives them.
 * docs/janus.md describes the messages. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include <memory>
#include <optional>
#include <string>

namespace gws::janus {

/* What a janus+ws:// or janus+wss:// URI says. */
struct Target {
  std::string ws_url; /* ws://HOST:PORT/PATH, what we connect to */
  bool tls = false;
  /* Janus ids are numbers unless the server runs with string_room_ids;
   * a value made of digits only is sent as a number. */
  std::string room;
  std::string display; /* publisher: our name; subscriber: whom to follow */
  std::string feed;    /* publisher: our id; subscriber: the feed to play */
  std::string pin;
  std::string token;  /* Janus API token (token_auth) */
  std::string secret; /* room secret, for create=true */
  bool create = false;
  guint bitrate = 0; /* bit/s cap told to Janus; 0: the room's */
};

/* Parses @uri; nullopt and @error set when it is not usable. */
std::optional<Target> parse_uri(const std::string &uri, std::string &error);

/* A number when @id is all digits, else a string (for JSON). */
void add_id(JsonBuilder *b, const char *member, const std::string &id);

/* ---- Requests (each returns the JSON text to send) ---- */
std::string make_create(const std::string &transaction, const Target &t);
std::string make_attach(
    const std::string &transaction, guint64 session, const Target &t);
std::string make_keepalive(
    const std::string &transaction, guint64 session, const Target &t);
std::string make_destroy(
    const std::string &transaction, guint64 session, const Target &t);
std::string make_detach(const std::string &transaction, guint64 session,
    guint64 handle, const Target &t);
/* A plugin message; @body is a JSON object text; @jsep_type/@sdp empty: no
 * jsep. */
std::string make_message(const std::string &transaction, guint64 session,
    guint64 handle, const Target &t, const std::string &body,
    const std::string &jsep_type = {}, const std::string &sdp = {});
/* A trickle candidate; @candidate empty: {"completed": true}. */
std::string make_trickle(const std::string &transaction, guint64 session,
    guint64 handle, const Target &t, const std::string &candidate,
    guint mline_index, const char *mid);

/* ---- VideoRoom bodies ---- */
std::string body_create_room(const Target &t);
std::string body_join_publisher(const Target &t);
/* publish with our offer: @videocodec / @audiocodec as read from the offer
 * ("vp8", "h264", "opus"; empty: not told). */
std::string body_publish(const Target &t, const std::string &videocodec,
    const std::string &audiocodec);
std::string body_join_subscriber(const Target &t, const std::string &feed);
std::string body_start();
/* configure: a publisher's renegotiation (its new offer goes as the jsep). */
std::string body_configure();
/* The first a=ice-ufrag of an SDP, empty when none: a renegotiation keeps
 * it, a restart (a new connection) does not. */
std::string sdp_ice_ufrag(const std::string &sdp);
std::string body_list_participants(const Target &t);
std::string body_leave();

/* The video and audio codecs an SDP offers, lower case, comma-separated in
 * order of preference ("vp8,h264", "opus"; no rtx/red/ulpfec), empty when
 * the SDP has none: the lists Janus's publish request takes. */
void offer_codecs(
    const std::string &sdp, std::string &videocodec, std::string &audiocodec);

/* ---- Incoming ---- */
struct JsonNodeDeleter {
  void operator()(JsonNode *n) const { json_node_unref(n); }
};
using NodePtr = std::shared_ptr<JsonNode>;

struct Incoming {
  std::string janus; /* "success", "ack", "event", "error", "trickle", ... */
  std::string transaction;
  guint64 session_id = 0;
  guint64 sender = 0;  /* the handle the event is for */
  guint64 data_id = 0; /* success: data.id (session or handle) */

  /* Janus-level error ("janus":"error"), or the plugin's (error_code). */
  gint error_code = 0;
  std::string error_reason;

  /* plugindata.data of a plugin event or a synchronous plugin reply. */
  NodePtr root;
  JsonObject *plugin_data = nullptr; /* inside root, or nullptr */
  std::string videoroom; /* plugin_data.videoroom: joined, event, ... */

  std::string jsep_type; /* "offer" / "answer" when a jsep came */
  std::string jsep_sdp;

  /* trickle from Janus */
  bool has_candidate = false;
  bool candidates_completed = false;
  std::string candidate;
  std::string candidate_mid;
  guint candidate_mline = 0;

  /* hangup / slowlink / media / webrtcup details */
  std::string reason;     /* hangup */
  std::string media_type; /* media: audio/video */
  std::string media_mid;
  bool receiving = false;
  bool uplink = false; /* slowlink */
  gint64 lost = 0;     /* slowlink */
};

/* Parses one text frame; nullopt and @error set when it is not a Janus
 * message. */
std::optional<Incoming> parse(const std::string &text, std::string &error);

/* plugin_data helpers */
std::optional<std::string> data_id(
    const Incoming &in, const char *member); /* numbers as text */
/* The participants of a listparticipants reply: the feed id of the
 * publisher called @display, or of @feed if it publishes; empty when
 * neither is there. */
std::string find_publisher(
    const Incoming &in, const std::string &feed, const std::string &display);

/* A subscriber's "updated" event: whether any stream is still active
 * (none: the publisher left or unpublished). */
bool any_stream_active(const Incoming &in);
/* The same for audio and video streams only (a data channel stays active
 * when the publisher has left). */
bool any_media_stream_active(const Incoming &in);

/* A random transaction id. */
std::string new_transaction();

} // namespace gws::janus
