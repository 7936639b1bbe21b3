/* gst-webrtc-session: the Janus VideoRoom signaller (see
 * gws-janus-signaller.h, docs/janus.md).
 *
 * Threading: every object has its own gws::Worker thread (own
 * GMainContext), started by the first start(). All WebSocket I/O and all
 * Janus state (session, handle, transactions, our one media session) live
 * on that thread; the GwsSignaller methods copy their arguments and post
 * the work there. Signals are emitted from that thread with no lock held.
 *
 * Locks: `Private::lock` guards `Private::settings` (the properties) only;
 * a leaf lock. start() takes a snapshot.
 *
 * Lifetime: as the WebSocket signaller: posted work and the asynchronous
 * connect hold a strong reference; timers and WebSocket handlers hold none
 * and are removed with the connection; dispose shuts the worker down.
 *
 * Janus sessions live with the WebSocket that created them (the transport
 * destroys them when it closes) and die with a Janus restart: a lost
 * connection ends our media session (session-ended), and once connected
 * again the producer joins and publishes anew (a new session-requested),
 * the consumer subscribes anew. */
#include "gws-janus-signaller.h"

#include "common/gws-worker.h"
#include "janus-protocol.h"

#include <libsoup/soup.h>

#include <algorithm>
#include <functional>
#include <map>
#include <mutex>
#include <string>

GST_DEBUG_CATEGORY_STATIC(gws_janus_signaller_debug);
#define GST_CAT_DEFAULT gws_janus_signaller_debug

namespace jp = gws::janus;

namespace {

constexpr guint kDefaultKeepaliveSeconds = 25;
constexpr guint kDefaultMinBackoffMs = 500;
constexpr guint kDefaultMaxBackoffMs = 5000;
constexpr guint kConnectTimeoutMs = 10000;
constexpr guint64 kMaxIncomingPayload = 4 * 1024 * 1024;

/* VideoRoom error codes (janus_videoroom.c). */
constexpr gint kNoSuchRoom = 426;
constexpr gint kRoomExists = 427;
constexpr gint kNoSuchFeed = 428;
constexpr gint kUnauthorized = 433;
constexpr gint kIdExists = 436;

enum {
  PROP_0,
  PROP_ROLE,
  PROP_URI,
  PROP_KEEPALIVE_INTERVAL,
  PROP_RECONNECT_MIN_BACKOFF,
  PROP_RECONNECT_MAX_BACKOFF,
  PROP_TLS_VALIDATION,
  PROP_ACCEPTS_SESSIONS,
  PROP_SESSION_RESTARTS,
  PROP_CONSUMER_OFFERS,
  PROP_ICE_SERVERS,
  PROP_RENEGOTIATIONS,
};

constexpr guint kFollowPollMs = 500;
/* Subscriber: how often to check that the publisher is still in the room.
 * Janus tells subscribers when their publisher leaves, but not always: a
 * publisher leaving while the subscription is still being set up was seen
 * to leave the subscriber waiting for ever. */
constexpr guint kWatchFeedMs = 1000;

enum { SIGNAL_ELEMENT_MESSAGE, N_SIGNALS };
guint signals[N_SIGNALS];

struct Settings {
  GwsSignallerRole role = GWS_SIGNALLER_ROLE_PRODUCER;
  std::string uri;
  guint keepalive_s = kDefaultKeepaliveSeconds;
  guint min_backoff_ms = kDefaultMinBackoffMs;
  guint max_backoff_ms = kDefaultMaxBackoffMs;
  bool tls_validation = true;
};

/* What a request we sent was, by transaction. */
enum class Req {
  Create,
  Attach,
  CreateRoom,
  JoinPublisher,
  Publish,
  Configure, /* publisher: a renegotiation offer for the same session */
  ListParticipants,
  WatchFeed, /* subscriber: is our publisher still there? */
  JoinSubscriber,
  Start,
  Other,
};

void
clear_source(GSource *&source) {
  if (!source)
    return;
  g_source_destroy(source);
  g_source_unref(source);
  source = nullptr;
}

} // namespace

struct GwsJanusSignallerPrivate {
  std::mutex lock; /* leaf; guards settings */
  Settings settings;

  gws::Worker worker{"gws-janus"};

  /* Signaller thread only. */
  Settings active;
  jp::Target target;
  std::string where; /* the URI for messages (no token) */
  bool running = false;
  guint generation = 0;
  bool shutting_down = false;

  SoupSession *session = nullptr;
  GCancellable *cancellable = nullptr;
  SoupWebsocketConnection *ws = nullptr;
  GSource *connect_timeout = nullptr;
  GSource *keepalive_source = nullptr;
  GSource *retry_source = nullptr;
  GSource *poll_source = nullptr; /* follow: look for the publisher again */
  GSource *republish_source = nullptr; /* publisher: offer again */
  GSource *watch_source = nullptr;     /* subscriber: publisher still there */
  guint backoff_ms = 0;
  bool connected = false;
  bool ever_connected = false;
  bool unreachable_reported = false;

  guint64 jsession = 0; /* Janus session id */
  guint64 handle = 0;   /* our VideoRoom handle */
  std::map<std::string, Req> pending;

  std::string feed; /* producer: our publisher id; consumer: whom we play */
  std::string sid;  /* our one media session, empty when none */
  /* Publisher: the session already published and its offer's ICE ufrag;
   * a later offer of that session with that ufrag is a renegotiation. */
  std::string published_sid;
  std::string published_ufrag;
  /* Consumer by display name (no feed id): follow that publisher across
   * republishes (a new feed id), waiting for it to come back. */
  bool follow = false;
  bool followed_once = false; /* we played it once: wait, do not fail */
  /* The room is gone. Publisher: destroyed, no publishing again (the
   * signaller stops). Consumer following a display name: no such room
   * since we played; told once, then we keep waiting for it. */
  bool room_gone = false;
  guint session_count = 0;
};

struct _GwsJanusSignaller {
  GObject parent;
  GwsJanusSignallerPrivate *priv;
};

static void gws_janus_signaller_iface_init(GwsSignallerInterface *iface);

G_DEFINE_TYPE_WITH_CODE(
    GwsJanusSignaller, gws_janus_signaller, G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE(GWS_TYPE_SIGNALLER, gws_janus_signaller_iface_init);
    GST_DEBUG_CATEGORY_INIT(gws_janus_signaller_debug, "webrtc-signaller-janus",
        0, "WebRTC Janus VideoRoom signaller"))

static void connect_now(GwsJanusSignaller *self);
static void do_stop(GwsJanusSignaller *self);
static void drop_connection(GwsJanusSignaller *self);
static void schedule_retry(GwsJanusSignaller *self);
static std::string new_sid(GwsJanusSignaller *self);

static void
post(GwsJanusSignaller *self, std::function<void(GwsJanusSignaller *)> fn) {
  self->priv->worker.post(
      G_OBJECT(self), [self, fn = std::move(fn)]() { fn(self); });
}

/* ---- Reporting ---- */

/* Posts a "gws-janus-event" element message through the bins. */
static void
post_event(GwsJanusSignaller *self, const char *event,
    const std::function<void(GstStructure *)> &fill = nullptr) {
  auto *priv = self->priv;
  GstStructure *s = gst_structure_new("gws-janus-event", "event", G_TYPE_STRING,
      event, "session-id", G_TYPE_STRING, priv->sid.c_str(), "feed",
      G_TYPE_STRING, priv->feed.c_str(), "room", G_TYPE_STRING,
      priv->target.room.c_str(), nullptr);
  if (fill)
    fill(s);
  g_signal_emit(self, signals[SIGNAL_ELEMENT_MESSAGE], 0, s);
  gst_structure_free(s);
}

static void
set_connected(GwsJanusSignaller *self, bool connected) {
  auto *priv = self->priv;
  if (priv->connected == connected)
    return;
  priv->connected = connected;
  GST_INFO_OBJECT(self, "%s %s", connected ? "joined room at" : "lost",
      priv->where.c_str());
  gws_signaller_emit_connection_changed(GWS_SIGNALLER(self), connected);
}

/* Ends our media session (the remote side ended it or it is lost). */
static void
end_media_session(GwsJanusSignaller *self, const std::string &reason) {
  auto *priv = self->priv;
  if (priv->sid.empty())
    return;
  std::string sid = priv->sid;
  priv->sid.clear();
  GST_INFO_OBJECT(self, "session %s ended: %s", sid.c_str(), reason.c_str());
  gws_signaller_emit_session_ended(
      GWS_SIGNALLER(self), sid.c_str(), reason.c_str());
}

/* Gives up until the next start(). */
static void
fail(GwsJanusSignaller *self, const std::string &message,
    bool unavailable = false) {
  auto *priv = self->priv;
  GST_WARNING_OBJECT(self, "%s", message.c_str());
  priv->running = false;
  priv->generation++;
  clear_source(priv->retry_source);
  drop_connection(self);
  set_connected(self, false);
  if (unavailable)
    gws_signaller_emit_unavailable(GWS_SIGNALLER(self), message.c_str());
  else
    gws_signaller_emit_error(GWS_SIGNALLER(self), message.c_str());
}

/* ---- Sending ---- */

static void
send_text(GwsJanusSignaller *self, const std::string &text) {
  auto *priv = self->priv;
  if (!priv->ws
      || soup_websocket_connection_get_state(priv->ws)
             != SOUP_WEBSOCKET_STATE_OPEN) {
    GST_DEBUG_OBJECT(self, "not connected, dropping %s", text.c_str());
    return;
  }
  GST_LOG_OBJECT(self, ">> %s", text.c_str());
  soup_websocket_connection_send_text(priv->ws, text.c_str());
}

/* A new transaction of kind @req. */
static std::string
transaction(GwsJanusSignaller *self, Req req) {
  std::string t = jp::new_transaction();
  if (req != Req::Other)
    self->priv->pending[t] = req;
  return t;
}

static void
send_plugin(GwsJanusSignaller *self, Req req, const std::string &body,
    const std::string &jsep_type = {}, const std::string &sdp = {}) {
  auto *priv = self->priv;
  send_text(self, jp::make_message(transaction(self, req), priv->jsession,
                      priv->handle, priv->target, body, jsep_type, sdp));
}

/* ---- The VideoRoom steps ---- */

static void
join(GwsJanusSignaller *self) {
  auto *priv = self->priv;
  const jp::Target &t = priv->target;
  if (priv->active.role == GWS_SIGNALLER_ROLE_PRODUCER) {
    GST_INFO_OBJECT(self, "joining room %s as publisher%s%s", t.room.c_str(),
        t.display.empty() ? "" : " ", t.display.c_str());
    send_plugin(self, Req::JoinPublisher, jp::body_join_publisher(t));
  } else if (!t.feed.empty() && t.display.empty()) {
    GST_INFO_OBJECT(self, "subscribing to feed %s in room %s", t.feed.c_str(),
        t.room.c_str());
    priv->feed = t.feed;
    send_plugin(self, Req::JoinSubscriber, jp::body_join_subscriber(t, t.feed));
  } else {
    /* By display name (or the first publisher): look the room up. */
    send_plugin(self, Req::ListParticipants, jp::body_list_participants(t));
  }
}

/* Publisher: our PeerConnection with Janus ended (Janus hung up, or
 * webrtcsink ended the session because it failed) while we stay in the
 * room: ask webrtcsink for a new session after the backoff, so the stream
 * comes back. The backoff doubles until media flows again (webrtcup). */
static void
schedule_republish(GwsJanusSignaller *self) {
  auto *priv = self->priv;
  if (priv->active.role != GWS_SIGNALLER_ROLE_PRODUCER || priv->republish_source
      || !priv->running || !priv->handle || priv->room_gone)
    return;
  guint delay = priv->backoff_ms;
  priv->backoff_ms
      = std::min(std::max(priv->backoff_ms * 2, priv->active.min_backoff_ms),
          std::max(priv->active.max_backoff_ms, priv->active.min_backoff_ms));
  GST_INFO_OBJECT(self, "publishing again in %u ms", delay);
  priv->republish_source = priv->worker.timeout(delay, [self]() {
    auto *priv = self->priv;
    g_clear_pointer(&priv->republish_source, g_source_unref);
    if (!priv->running || !priv->handle || !priv->sid.empty())
      return;
    priv->sid = new_sid(self);
    post_event(self, "republishing");
    gws_signaller_emit_session_requested(
        GWS_SIGNALLER(self), priv->sid.c_str(), "janus", nullptr);
  });
}

/* Follow mode: looks the room up again in a moment. */
static void
poll_again(GwsJanusSignaller *self) {
  auto *priv = self->priv;
  if (priv->poll_source || !priv->running)
    return;
  priv->poll_source = priv->worker.timeout(kFollowPollMs, [self]() {
    auto *priv = self->priv;
    g_clear_pointer(&priv->poll_source, g_source_unref);
    if (priv->running && priv->handle && priv->sid.empty())
      join(self);
  });
}

/* Consumer: the publisher we played left. Following it by display name:
 * a fresh handle, then wait for it to publish again. */
static void
publisher_gone(GwsJanusSignaller *self, const std::string &reason) {
  auto *priv = self->priv;
  clear_source(priv->watch_source);
  post_event(self, "unpublished");
  end_media_session(self, reason);
  if (!priv->follow || !priv->running || !priv->jsession)
    return;
  GST_INFO_OBJECT(self, "waiting for publisher \"%s\" to come back",
      priv->target.display.c_str());
  if (priv->handle)
    send_text(self, jp::make_detach(transaction(self, Req::Other),
                        priv->jsession, priv->handle, priv->target));
  priv->handle = 0;
  send_text(self, jp::make_attach(transaction(self, Req::Attach),
                      priv->jsession, priv->target));
}

static void
on_participants(GwsJanusSignaller *self, const jp::Incoming &in) {
  auto *priv = self->priv;
  const jp::Target &t = priv->target;
  std::string feed = jp::find_publisher(in, t.feed, t.display);
  if (feed.empty() && priv->followed_once) {
    poll_again(self);
    return;
  }
  if (feed.empty()) {
    std::string who = !t.display.empty() ? "publisher \"" + t.display + "\""
                      : !t.feed.empty()  ? "feed " + t.feed
                                         : "a publisher";
    fail(self,
        "no " + who + " in Janus room " + t.room + " at " + priv->where
            + " (yet)",
        true);
    return;
  }
  priv->feed = feed;
  GST_INFO_OBJECT(self, "subscribing to feed %s (%s) in room %s", feed.c_str(),
      t.display.c_str(), t.room.c_str());
  send_plugin(self, Req::JoinSubscriber, jp::body_join_subscriber(t, feed));
}

static std::string
describe_error(const jp::Incoming &in) {
  return in.error_reason + " (Janus error " + std::to_string(in.error_code)
         + ")";
}

/* A plugin error answering one of our requests. */
static void
on_plugin_error(GwsJanusSignaller *self, Req req, const jp::Incoming &in) {
  auto *priv = self->priv;
  const jp::Target &t = priv->target;
  std::string what = describe_error(in);
  switch (req) {
    case Req::CreateRoom:
      if (in.error_code == kRoomExists) {
        join(self);
        return;
      }
      fail(self, "could not create Janus room " + t.room + " at " + priv->where
                     + ": " + what);
      return;
    case Req::WatchFeed:
      /* The room went away under the publisher we play (destroyed). */
      if (in.error_code == kNoSuchRoom && !priv->sid.empty())
        publisher_gone(self, "Janus room " + t.room + " is gone");
      else
        GST_WARNING_OBJECT(self, "Janus: %s", what.c_str());
      return;
    case Req::JoinPublisher:
    case Req::JoinSubscriber:
    case Req::ListParticipants:
      if (in.error_code == kNoSuchRoom && priv->follow && priv->followed_once) {
        /* Destroyed (or not created again yet after a Janus restart):
         * following, we wait for the room and the publisher to come back,
         * as for a publisher that left. */
        if (!priv->room_gone) {
          priv->room_gone = true;
          GST_INFO_OBJECT(self, "room %s is gone, waiting for it to come back",
              t.room.c_str());
          post_event(self, "destroyed");
        }
        poll_again(self);
      } else if (in.error_code == kNoSuchRoom) {
        /* A subscriber may start before a create=true publisher made the
         * room: "unavailable", so webrtcsrc looks again until its
         * wait-timeout. A publisher fails at once. */
        fail(self,
            "no Janus room " + t.room + " at " + priv->where + ": " + what
                + " (create=true&secret=... creates it)",
            priv->active.role == GWS_SIGNALLER_ROLE_CONSUMER);
      } else if (in.error_code == kUnauthorized) {
        fail(self, "Janus room " + t.room + " at " + priv->where
                       + " refused us (wrong or missing pin?): " + what);
      } else if (in.error_code == kNoSuchFeed) {
        fail(self,
            "no feed " + priv->feed + " in Janus room " + t.room + " at "
                + priv->where + " (yet): " + what,
            true);
      } else if (in.error_code == kIdExists) {
        /* Our old participant, not yet reaped (a reconnect): retry. */
        GST_INFO_OBJECT(
            self, "feed id %s still taken, retrying", t.feed.c_str());
        drop_connection(self);
        schedule_retry(self);
      } else {
        fail(self, "Janus room " + t.room + " at " + priv->where
                       + " refused to join: " + what);
      }
      return;
    case Req::Publish:
    case Req::Configure:
    case Req::Start:
      post_event(self, "error", [&](GstStructure *s) {
        gst_structure_set(s, "code", G_TYPE_INT, in.error_code, "reason",
            G_TYPE_STRING, in.error_reason.c_str(), nullptr);
      });
      gws_signaller_emit_error(
          GWS_SIGNALLER(self), ("Janus refused our session description at "
                                   + priv->where + ": " + what)
                                   .c_str());
      end_media_session(self, "Janus refused it: " + what);
      return;
    default:
      GST_WARNING_OBJECT(self, "Janus: %s", what.c_str());
      return;
  }
}

static void
emit_description(
    GwsJanusSignaller *self, const std::string &type, const std::string &sdp) {
  auto *priv = self->priv;
  GstSDPMessage *msg = nullptr;
  if (gst_sdp_message_new_from_text(sdp.c_str(), &msg) != GST_SDP_OK) {
    GST_WARNING_OBJECT(self, "unreadable SDP %s from Janus", type.c_str());
    gst_sdp_message_free(msg);
    return;
  }
  GstWebRTCSessionDescription *desc = gst_webrtc_session_description_new(
      type == "offer" ? GST_WEBRTC_SDP_TYPE_OFFER : GST_WEBRTC_SDP_TYPE_ANSWER,
      msg);
  GST_DEBUG_OBJECT(
      self, "session %s: Janus's %s", priv->sid.c_str(), type.c_str());
  gws_signaller_emit_session_description(
      GWS_SIGNALLER(self), priv->sid.c_str(), desc);
  gst_webrtc_session_description_free(desc);
}

static std::string
new_sid(GwsJanusSignaller *self) {
  auto *priv = self->priv;
  return "janus-" + priv->target.room + "-" + priv->feed + "-"
         + std::to_string(++priv->session_count);
}

/* A VideoRoom event (plugindata) for our handle. */
static void
on_plugin_event(GwsJanusSignaller *self, const jp::Incoming &in, Req req) {
  auto *priv = self->priv;
  bool producer = priv->active.role == GWS_SIGNALLER_ROLE_PRODUCER;
  if (in.error_code) {
    on_plugin_error(self, req, in);
    return;
  }
  const std::string &vr = in.videoroom;
  if (vr == "participants" && req == Req::WatchFeed) {
    std::string feed = priv->feed;
    if (!priv->sid.empty() && jp::find_publisher(in, feed, "") != feed)
      publisher_gone(self,
          "publisher " + feed + " is no longer in room " + priv->target.room);
    return;
  }
  if (vr == "participants") {
    on_participants(self, in);
    return;
  }
  if (vr == "created" && req == Req::CreateRoom) {
    GST_INFO_OBJECT(self, "created room %s", priv->target.room.c_str());
    join(self);
    return;
  }
  if (vr == "joined" && producer) {
    priv->feed = jp::data_id(in, "id").value_or("");
    priv->backoff_ms = priv->active.min_backoff_ms;
    priv->ever_connected = true;
    set_connected(self, true);
    priv->sid = new_sid(self);
    post_event(self, "joined");
    GST_INFO_OBJECT(self, "joined room %s as feed %s: session %s",
        priv->target.room.c_str(), priv->feed.c_str(), priv->sid.c_str());
    gws_signaller_emit_session_requested(
        GWS_SIGNALLER(self), priv->sid.c_str(), "janus", nullptr);
    return;
  }
  if (vr == "attached" && !producer) {
    if (in.jsep_type != "offer") {
      fail(self,
          "Janus attached us to feed " + priv->feed + " without an offer");
      return;
    }
    priv->backoff_ms = priv->active.min_backoff_ms;
    priv->ever_connected = true;
    set_connected(self, true);
    priv->sid = new_sid(self);
    if (priv->follow)
      priv->followed_once = true;
    priv->room_gone = false;
    clear_source(priv->watch_source);
    priv->watch_source = g_timeout_source_new(kWatchFeedMs);
    g_source_set_callback(
        priv->watch_source,
        [](gpointer data) -> gboolean {
          auto *self = GWS_JANUS_SIGNALLER(data);
          auto *priv = self->priv;
          if (!priv->sid.empty() && priv->handle)
            send_plugin(
                self, Req::WatchFeed, jp::body_list_participants(priv->target));
          return G_SOURCE_CONTINUE;
        },
        self, nullptr);
    g_source_attach(priv->watch_source, priv->worker.context());
    post_event(self, "attached");
    gws_signaller_emit_session_started(
        GWS_SIGNALLER(self), priv->sid.c_str(), priv->feed.c_str());
    emit_description(self, "offer", in.jsep_sdp);
    return;
  }
  if (vr == "updated" && !producer) {
    if (!jp::any_stream_active(in)) {
      publisher_gone(
          self, "publisher " + priv->feed + " left room " + priv->target.room);
      return;
    }
    post_event(self, "updated");
    if (!jp::any_media_stream_active(in)) {
      /* The publisher is leaving (its data channel outlives its media):
       * its `unpublished` or `leaving` ends this, not this offer, which
       * would turn every output of ours inactive. */
      GST_DEBUG_OBJECT(self, "feed %s has no media left", priv->feed.c_str());
      return;
    }
    if (in.jsep_type != "offer" || priv->sid.empty()) {
      GST_DEBUG_OBJECT(self, "subscription to feed %s updated, no offer",
          priv->feed.c_str());
      return;
    }
    /* The publisher's streams changed (one it stopped sending is now an
     * inactive m-line): Janus offers again on the same PeerConnection,
     * and our answer goes back in a start request, as the first one. */
    GST_INFO_OBJECT(self, "Janus renegotiates the subscription to feed %s",
        priv->feed.c_str());
    emit_description(self, "offer", in.jsep_sdp);
    return;
  }
  if (vr == "destroyed") {
    /* Janus tells the room's publishers, then closes their PeerConnections
     * (hangup): the end, not a reason to publish again. */
    post_event(self, "destroyed");
    std::string why = "Janus room " + priv->target.room + " destroyed";
    if (!producer) {
      publisher_gone(self, why);
      return;
    }
    end_media_session(self, why);
    GST_INFO_OBJECT(self, "room %s destroyed: stopping until the next start",
        priv->target.room.c_str());
    /* Stopped from the worker's queue, not from inside this WebSocket's
     * message handler (stopping closes and releases the connection). */
    priv->room_gone = true;
    guint generation = priv->generation;
    post(self, [generation](GwsJanusSignaller *self) {
      if (self->priv->running && self->priv->generation == generation)
        do_stop(self);
    });
    return;
  }
  if (vr == "event" && in.plugin_data) {
    if (!producer) {
      auto gone = jp::data_id(in, "unpublished");
      if (!gone)
        gone = jp::data_id(in, "leaving");
      if (gone && *gone == priv->feed && !priv->sid.empty()) {
        publisher_gone(self,
            "publisher " + priv->feed + " left room " + priv->target.room);
        return;
      }
    }
    if (!in.jsep_type.empty() && (req == Req::Publish || req == Req::Configure)
        && producer && in.jsep_type == "answer") {
      post_event(self, "configured");
      emit_description(self, "answer", in.jsep_sdp);
      return;
    }
  }
  if (in.jsep_type == "answer" && producer && !priv->sid.empty()) {
    emit_description(self, "answer", in.jsep_sdp);
    return;
  }
  GST_DEBUG_OBJECT(self, "VideoRoom %s", vr.c_str());
}

static void
on_message(GwsJanusSignaller *self, const jp::Incoming &in) {
  auto *priv = self->priv;
  Req req = Req::Other;
  auto it = priv->pending.find(in.transaction);
  if (it != priv->pending.end()) {
    req = it->second;
    if (in.janus != "ack")
      priv->pending.erase(it);
  }
  const std::string &k = in.janus;
  if (k == "ack" || k == "pong")
    return;
  if (k == "success" && req == Req::Create) {
    priv->jsession = in.data_id;
    GST_DEBUG_OBJECT(self, "Janus session %" G_GUINT64_FORMAT, priv->jsession);
    send_text(self, jp::make_attach(transaction(self, Req::Attach),
                        priv->jsession, priv->target));
    return;
  }
  if (k == "success" && req == Req::Attach) {
    priv->handle = in.data_id;
    if (priv->target.create)
      send_plugin(self, Req::CreateRoom, jp::body_create_room(priv->target));
    else
      join(self);
    return;
  }
  if (k == "error") {
    std::string what = describe_error(in);
    if (req == Req::Create || req == Req::Attach) {
      fail(self, "Janus at " + priv->where + " refused us: " + what
                     + (in.error_code == 403 ? " (set ?token=)" : ""));
      return;
    }
    GST_WARNING_OBJECT(self, "Janus error: %s", what.c_str());
    return;
  }
  if ((k == "success" || k == "event") && in.plugin_data) {
    on_plugin_event(self, in, req);
    return;
  }
  if (k == "trickle") {
    if (priv->sid.empty() || in.candidates_completed)
      return;
    gws_signaller_emit_handle_ice(GWS_SIGNALLER(self), priv->sid.c_str(),
        in.candidate_mline,
        in.candidate_mid.empty() ? nullptr : in.candidate_mid.c_str(),
        in.candidate.c_str());
    return;
  }
  if (k == "webrtcup") {
    priv->backoff_ms = priv->active.min_backoff_ms;
    post_event(self, "webrtcup");
    return;
  }
  if (k == "media") {
    post_event(self, "media", [&](GstStructure *s) {
      gst_structure_set(s, "type", G_TYPE_STRING, in.media_type.c_str(), "mid",
          G_TYPE_STRING, in.media_mid.c_str(), "receiving", G_TYPE_BOOLEAN,
          in.receiving, nullptr);
    });
    return;
  }
  if (k == "slowlink") {
    post_event(self, "slowlink", [&](GstStructure *s) {
      gst_structure_set(s, "type", G_TYPE_STRING, in.media_type.c_str(),
          "uplink", G_TYPE_BOOLEAN, in.uplink, "lost", G_TYPE_INT64, in.lost,
          nullptr);
    });
    return;
  }
  if (k == "hangup") {
    post_event(self, "hangup", [&](GstStructure *s) {
      gst_structure_set(s, "reason", G_TYPE_STRING, in.reason.c_str(), nullptr);
    });
    if (priv->active.role == GWS_SIGNALLER_ROLE_CONSUMER && priv->follow) {
      publisher_gone(self, "Janus hung up: " + in.reason);
      return;
    }
    end_media_session(self, "Janus hung up: " + in.reason);
    schedule_republish(self);
    return;
  }
  if (k == "timeout") {
    GST_WARNING_OBJECT(self, "Janus timed our session out, reconnecting");
    post_event(self, "timeout");
    end_media_session(self, "the Janus session timed out");
    drop_connection(self);
    set_connected(self, false);
    schedule_retry(self);
    return;
  }
  GST_DEBUG_OBJECT(self, "ignoring Janus %s", k.c_str());
}

static void
on_ws_message(
    SoupWebsocketConnection *, gint type, GBytes *message, gpointer user_data) {
  auto *self = GWS_JANUS_SIGNALLER(user_data);
  [[maybe_unused]] g_autoptr(GObject) keep = G_OBJECT(g_object_ref(self));
  if (type != SOUP_WEBSOCKET_DATA_TEXT)
    return;
  gsize size = 0;
  auto *data = static_cast<const char *>(g_bytes_get_data(message, &size));
  std::string text(data ? data : "", size);
  GST_LOG_OBJECT(self, "<< %s", text.c_str());
  try {
    std::string error;
    auto in = jp::parse(text, error);
    if (!in) {
      GST_WARNING_OBJECT(
          self, "unreadable message from Janus: %s", error.c_str());
      return;
    }
    on_message(self, *in);
  } catch (const std::exception &e) {
    GST_ERROR_OBJECT(self, "internal error: %s", e.what());
  }
}

static void
on_ws_closed(SoupWebsocketConnection *, gpointer user_data) {
  auto *self = GWS_JANUS_SIGNALLER(user_data);
  [[maybe_unused]] g_autoptr(GObject) keep = G_OBJECT(g_object_ref(self));
  auto *priv = self->priv;
  GST_INFO_OBJECT(
      self, "connection to Janus at %s closed", priv->where.c_str());
  drop_connection(self);
  set_connected(self, false);
  post_event(self, "disconnected");
  end_media_session(self, "lost the connection to Janus at " + priv->where);
  if (priv->running)
    schedule_retry(self);
}

/* ---- Connection ---- */

static void
drop_connection(GwsJanusSignaller *self) {
  auto *priv = self->priv;
  clear_source(priv->keepalive_source);
  clear_source(priv->connect_timeout);
  clear_source(priv->poll_source);
  clear_source(priv->republish_source);
  clear_source(priv->watch_source);
  if (priv->cancellable) {
    g_cancellable_cancel(priv->cancellable);
    g_clear_object(&priv->cancellable);
  }
  priv->pending.clear();
  priv->jsession = 0;
  priv->handle = 0;
  if (!priv->ws)
    return;
  SoupWebsocketConnection *ws = priv->ws;
  priv->ws = nullptr;
  g_signal_handlers_disconnect_by_data(ws, self);
  if (soup_websocket_connection_get_state(ws) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close(ws, SOUP_WEBSOCKET_CLOSE_NORMAL, nullptr);
  GIOStream *io = soup_websocket_connection_get_io_stream(ws);
  if (io && !g_io_stream_is_closed(io))
    g_io_stream_close(io, nullptr, nullptr);
  g_object_unref(ws);
}

static gboolean
on_keepalive(gpointer data) {
  auto *self = GWS_JANUS_SIGNALLER(data);
  auto *priv = self->priv;
  if (priv->jsession)
    send_text(self, jp::make_keepalive(transaction(self, Req::Other),
                        priv->jsession, priv->target));
  return G_SOURCE_CONTINUE;
}

namespace {
struct ConnectOp {
  GwsJanusSignaller *self; /* strong */
  SoupMessage *msg;
  guint generation;
  ~ConnectOp() {
    g_object_unref(msg);
    g_object_unref(self);
  }
};
} // namespace

static void
on_connected(GObject *source, GAsyncResult *res, gpointer data) {
  std::unique_ptr<ConnectOp> op(static_cast<ConnectOp *>(data));
  GwsJanusSignaller *self = op->self;
  auto *priv = self->priv;
  g_autoptr(GError) err = nullptr;
  SoupWebsocketConnection *ws
      = soup_session_websocket_connect_finish(SOUP_SESSION(source), res, &err);
  if (op->generation != priv->generation || !priv->running) {
    if (ws) {
      soup_websocket_connection_close(
          ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, nullptr);
      g_object_unref(ws);
    }
    return;
  }
  g_clear_object(&priv->cancellable);
  clear_source(priv->connect_timeout);
  if (!ws) {
    if (soup_message_get_tls_peer_certificate_errors(op->msg)
        || g_error_matches(err, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE)) {
      fail(self, "the TLS certificate of Janus at " + priv->where
                     + " is not trusted; set tls-validation=false to accept "
                       "a self-signed certificate");
      return;
    }
    std::string reason = err ? err->message : "no answer";
    GST_WARNING_OBJECT(self, "could not reach Janus at %s: %s",
        priv->where.c_str(), reason.c_str());
    if (!priv->ever_connected && !priv->unreachable_reported) {
      priv->unreachable_reported = true;
      gws_signaller_emit_error_full(GWS_SIGNALLER(self),
          ("could not reach Janus at " + priv->where + ": " + reason
              + " (retrying)")
              .c_str(),
          FALSE);
    }
    schedule_retry(self);
    return;
  }
  GST_INFO_OBJECT(self, "WebSocket open to Janus at %s", priv->where.c_str());
  priv->ws = ws;
  soup_websocket_connection_set_max_incoming_payload_size(
      ws, kMaxIncomingPayload);
  g_signal_connect(ws, "message", G_CALLBACK(on_ws_message), self);
  g_signal_connect(ws, "closed", G_CALLBACK(on_ws_closed), self);
  if (priv->active.keepalive_s > 0) {
    priv->keepalive_source
        = g_timeout_source_new_seconds(priv->active.keepalive_s);
    g_source_set_callback(priv->keepalive_source, on_keepalive, self, nullptr);
    g_source_attach(priv->keepalive_source, priv->worker.context());
  }
  send_text(
      self, jp::make_create(transaction(self, Req::Create), priv->target));
}

static gboolean
accept_any_certificate(
    SoupMessage *, GTlsCertificate *, GTlsCertificateFlags, gpointer) {
  return TRUE;
}

static void
connect_now(GwsJanusSignaller *self) {
  auto *priv = self->priv;
  if (!priv->running || priv->ws || priv->cancellable)
    return;
  GST_DEBUG_OBJECT(self, "connecting to %s", priv->target.ws_url.c_str());
  SoupMessage *msg
      = soup_message_new(SOUP_METHOD_GET, priv->target.ws_url.c_str());
  if (!msg) {
    fail(self, "invalid Janus URL " + priv->target.ws_url);
    return;
  }
  if (!priv->active.tls_validation)
    g_signal_connect(
        msg, "accept-certificate", G_CALLBACK(accept_any_certificate), nullptr);
  priv->cancellable = g_cancellable_new();
  priv->connect_timeout = g_timeout_source_new(kConnectTimeoutMs);
  g_source_set_callback(
      priv->connect_timeout,
      [](gpointer data) -> gboolean {
        auto *priv = GWS_JANUS_SIGNALLER(data)->priv;
        g_source_unref(priv->connect_timeout);
        priv->connect_timeout = nullptr;
        g_cancellable_cancel(priv->cancellable);
        return G_SOURCE_REMOVE;
      },
      self, nullptr);
  g_source_attach(priv->connect_timeout, priv->worker.context());
  static const char *protocols[] = {"janus-protocol", nullptr};
  auto *op = new ConnectOp{static_cast<GwsJanusSignaller *>(g_object_ref(self)),
      msg, priv->generation};
  soup_session_websocket_connect_async(priv->session, msg, nullptr,
      const_cast<char **>(protocols), G_PRIORITY_DEFAULT, priv->cancellable,
      on_connected, op);
}

static gboolean
on_retry(gpointer data) {
  auto *self = GWS_JANUS_SIGNALLER(data);
  auto *priv = self->priv;
  g_source_unref(priv->retry_source);
  priv->retry_source = nullptr;
  connect_now(self);
  return G_SOURCE_REMOVE;
}

static void
schedule_retry(GwsJanusSignaller *self) {
  auto *priv = self->priv;
  if (priv->retry_source || !priv->running)
    return;
  guint delay = priv->backoff_ms;
  priv->backoff_ms
      = std::min(std::max(priv->backoff_ms * 2, priv->active.min_backoff_ms),
          std::max(priv->active.max_backoff_ms, priv->active.min_backoff_ms));
  GST_DEBUG_OBJECT(self, "reconnecting to Janus in %u ms", delay);
  priv->retry_source = g_timeout_source_new(delay);
  g_source_set_callback(priv->retry_source, on_retry, self, nullptr);
  g_source_attach(priv->retry_source, priv->worker.context());
}

/* ---- Methods, on the signaller thread ---- */

static void
do_start(GwsJanusSignaller *self) {
  auto *priv = self->priv;
  if (priv->running || priv->shutting_down)
    return;
  {
    std::lock_guard<std::mutex> lock(priv->lock);
    priv->active = priv->settings;
  }
  std::string error;
  auto target = jp::parse_uri(priv->active.uri, error);
  if (!target) {
    if (priv->active.uri.empty())
      error = "no Janus URI set (e.g. janus+ws://127.0.0.1:8188/?room=1234)";
    gws_signaller_emit_error(GWS_SIGNALLER(self), error.c_str());
    return;
  }
  priv->target = *target;
  priv->follow = priv->active.role == GWS_SIGNALLER_ROLE_CONSUMER
                 && !priv->target.display.empty() && priv->target.feed.empty();
  priv->followed_once = false;
  priv->room_gone = false;
  priv->where = priv->target.ws_url + " (room " + priv->target.room + ")";
  priv->running = true;
  priv->generation++;
  priv->backoff_ms = priv->active.min_backoff_ms;
  priv->unreachable_reported = false;
  if (!priv->session) {
    priv->session = soup_session_new();
    soup_session_set_timeout(priv->session, 0);
    soup_session_set_idle_timeout(priv->session, 0);
  }
  GST_INFO_OBJECT(self, "starting as %s with %s",
      priv->active.role == GWS_SIGNALLER_ROLE_PRODUCER ? "publisher"
                                                       : "subscriber",
      priv->where.c_str());
  connect_now(self);
}

/* Leaves the room and closes the Janus session (then the socket). */
static void
do_stop(GwsJanusSignaller *self) {
  auto *priv = self->priv;
  priv->running = false;
  priv->generation++;
  clear_source(priv->retry_source);
  if (priv->handle)
    send_plugin(self, Req::Other, jp::body_leave());
  if (priv->jsession)
    send_text(self, jp::make_destroy(transaction(self, Req::Other),
                        priv->jsession, priv->target));
  priv->sid.clear();
  drop_connection(self);
  set_connected(self, false);
}

/* ---- The interface ---- */

static void
janus_start(GwsSignaller *signaller) {
  GWS_JANUS_SIGNALLER(signaller)->priv->worker.start();
  post(GWS_JANUS_SIGNALLER(signaller), do_start);
}

static void
janus_stop(GwsSignaller *signaller) {
  post(GWS_JANUS_SIGNALLER(signaller), do_stop);
}

/* Our offer (publisher) or answer (subscriber) for session @sid, on the
 * worker thread. */
static void
send_description(GwsJanusSignaller *self, const std::string &sid,
    const std::string &sdp, GstWebRTCSDPType type) {
  auto *priv = self->priv;
  if (sid != priv->sid || !priv->handle) {
    GST_DEBUG_OBJECT(
        self, "session %s is gone, dropping its description", sid.c_str());
    return;
  }
  if (priv->active.role != GWS_SIGNALLER_ROLE_PRODUCER) {
    if (type != GST_WEBRTC_SDP_TYPE_ANSWER) {
      GST_WARNING_OBJECT(self, "a subscriber answers Janus's offer");
      return;
    }
    /* The first answer and those to Janus's updated offers alike. */
    send_plugin(self, Req::Start, jp::body_start(), "answer", sdp);
    return;
  }
  if (type != GST_WEBRTC_SDP_TYPE_OFFER) {
    GST_WARNING_OBJECT(self, "a publisher sends offers to Janus");
    return;
  }
  std::string ufrag = jp::sdp_ice_ufrag(sdp);
  if (priv->published_sid == sid && priv->published_ufrag == ufrag) {
    /* Janus refuses a second publish (434, already published): a changed
     * offer on the same connection (an input added or released) is a
     * configure. */
    GST_INFO_OBJECT(
        self, "renegotiating the published session %s", sid.c_str());
    send_plugin(self, Req::Configure, jp::body_configure(), "offer", sdp);
    return;
  }
  priv->published_sid = sid;
  priv->published_ufrag = ufrag;
  std::string video, audio;
  jp::offer_codecs(sdp, video, audio);
  GST_INFO_OBJECT(self, "publishing (video %s, audio %s)",
      video.empty() ? "none" : video.c_str(),
      audio.empty() ? "none" : audio.c_str());
  /* Janus refuses a codec list naming one the room does not allow (error
   * 430), and picks the room's best among those offered by itself: tell
   * it the codec only when we offer just one. */
  auto single = [](const std::string &list) {
    return list.find(',') == std::string::npos ? list : std::string();
  };
  send_plugin(self, Req::Publish,
      jp::body_publish(priv->target, single(video), single(audio)), "offer",
      sdp);
}

static void
janus_send_sdp(GwsSignaller *signaller, const gchar *session_id,
    const GstWebRTCSessionDescription *desc) {
  std::string sid = session_id;
  g_autofree gchar *text = gst_sdp_message_as_text(desc->sdp);
  std::string sdp = text ? text : "";
  GstWebRTCSDPType type = desc->type;
  post(GWS_JANUS_SIGNALLER(signaller),
      [sid, sdp, type](
          GwsJanusSignaller *self) { send_description(self, sid, sdp, type); });
}

static void
janus_add_ice(GwsSignaller *signaller, const gchar *session_id,
    const gchar *candidate, guint mline_index, const gchar *mid) {
  std::string sid = session_id;
  std::string cand = candidate ? candidate : "";
  bool has_mid = mid != nullptr;
  std::string media_id = mid ? mid : "";
  post(GWS_JANUS_SIGNALLER(signaller),
      [sid, cand, mline_index, has_mid, media_id](GwsJanusSignaller *self) {
        auto *priv = self->priv;
        if (sid != priv->sid || !priv->handle)
          return;
        send_text(self, jp::make_trickle(transaction(self, Req::Other),
                            priv->jsession, priv->handle, priv->target, cand,
                            mline_index, has_mid ? media_id.c_str() : nullptr));
      });
}

static void
janus_end_session(GwsSignaller *signaller, const gchar *session_id) {
  std::string sid = session_id;
  post(GWS_JANUS_SIGNALLER(signaller), [sid](GwsJanusSignaller *self) {
    auto *priv = self->priv;
    if (sid != priv->sid)
      return;
    GST_INFO_OBJECT(self, "ending session %s", sid.c_str());
    priv->sid.clear();
    if (priv->handle)
      send_plugin(self, Req::Other,
          priv->active.role == GWS_SIGNALLER_ROLE_PRODUCER
              ? std::string("{\"request\":\"unpublish\"}")
              : jp::body_leave());
    schedule_republish(self);
  });
}

static void
gws_janus_signaller_iface_init(GwsSignallerInterface *iface) {
  iface->start = janus_start;
  iface->stop = janus_stop;
  iface->send_sdp = janus_send_sdp;
  iface->add_ice = janus_add_ice;
  iface->end_session = janus_end_session;
}

/* ---- GObject ---- */

static void
gws_janus_signaller_set_property(
    GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec) {
  auto *priv = GWS_JANUS_SIGNALLER(object)->priv;
  std::lock_guard<std::mutex> lock(priv->lock);
  Settings &s = priv->settings;
  switch (prop_id) {
    case PROP_ROLE:
      s.role = static_cast<GwsSignallerRole>(g_value_get_enum(value));
      break;
    case PROP_URI:
      s.uri = g_value_get_string(value) ? g_value_get_string(value) : "";
      break;
    case PROP_KEEPALIVE_INTERVAL:
      s.keepalive_s = g_value_get_uint(value);
      break;
    case PROP_RECONNECT_MIN_BACKOFF:
      s.min_backoff_ms = g_value_get_uint(value);
      break;
    case PROP_RECONNECT_MAX_BACKOFF:
      s.max_backoff_ms = g_value_get_uint(value);
      break;
    case PROP_TLS_VALIDATION:
      s.tls_validation = g_value_get_boolean(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
}

static void
gws_janus_signaller_get_property(
    GObject *object, guint prop_id, GValue *value, GParamSpec *pspec) {
  auto *priv = GWS_JANUS_SIGNALLER(object)->priv;
  std::lock_guard<std::mutex> lock(priv->lock);
  const Settings &s = priv->settings;
  switch (prop_id) {
    case PROP_ROLE:
      g_value_set_enum(value, s.role);
      break;
    case PROP_URI:
      g_value_set_string(value, s.uri.empty() ? nullptr : s.uri.c_str());
      break;
    case PROP_KEEPALIVE_INTERVAL:
      g_value_set_uint(value, s.keepalive_s);
      break;
    case PROP_RECONNECT_MIN_BACKOFF:
      g_value_set_uint(value, s.min_backoff_ms);
      break;
    case PROP_RECONNECT_MAX_BACKOFF:
      g_value_set_uint(value, s.max_backoff_ms);
      break;
    case PROP_TLS_VALIDATION:
      g_value_set_boolean(value, s.tls_validation);
      break;
    case PROP_ACCEPTS_SESSIONS: {
      /* Following a display name: the publisher may come and go. */
      std::string error;
      auto t = jp::parse_uri(s.uri, error);
      g_value_set_boolean(value, t && s.role == GWS_SIGNALLER_ROLE_CONSUMER
                                     && !t->display.empty() && t->feed.empty());
      break;
    }
    /* Janus offers to subscribers and answers publishers; a session is
     * not restarted in place (a new publish or subscription is); Janus
     * announces no STUN/TURN servers. */
    case PROP_SESSION_RESTARTS:
    case PROP_CONSUMER_OFFERS:
      g_value_set_boolean(value, FALSE);
      break;
    case PROP_ICE_SERVERS:
      g_value_set_boxed(value, nullptr);
      break;
    case PROP_RENEGOTIATIONS:
      g_value_set_boolean(value, TRUE);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
      break;
  }
}

static void
gws_janus_signaller_init(GwsJanusSignaller *self) {
  self->priv = new GwsJanusSignallerPrivate;
}

static void
gws_janus_signaller_dispose(GObject *object) {
  auto *self = GWS_JANUS_SIGNALLER(object);
  auto *priv = self->priv;
  auto finish = [self, priv]() {
    priv->shutting_down = true;
    priv->connected = false; /* no signal from dispose */
    priv->sid.clear();       /* nor session-ended */
    do_stop(self);
    g_clear_object(&priv->session);
  };
  if (priv->worker.is_current()) {
    finish();
    priv->worker.stop();
  } else {
    priv->worker.shutdown([priv, finish]() {
      finish();
      priv->worker.quit();
    });
    g_clear_object(&priv->session);
  }
  G_OBJECT_CLASS(gws_janus_signaller_parent_class)->dispose(object);
}

static void
gws_janus_signaller_finalize(GObject *object) {
  delete GWS_JANUS_SIGNALLER(object)->priv;
  G_OBJECT_CLASS(gws_janus_signaller_parent_class)->finalize(object);
}

static void
gws_janus_signaller_class_init(GwsJanusSignallerClass *klass) {
  GObjectClass *oc = G_OBJECT_CLASS(klass);
  oc->set_property = gws_janus_signaller_set_property;
  oc->get_property = gws_janus_signaller_get_property;
  oc->dispose = gws_janus_signaller_dispose;
  oc->finalize = gws_janus_signaller_finalize;

  auto rw = static_cast<GParamFlags>(
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  g_object_class_override_property(oc, PROP_ROLE, "role");
  g_object_class_override_property(oc, PROP_URI, "uri");
  g_object_class_install_property(oc, PROP_KEEPALIVE_INTERVAL,
      g_param_spec_uint("keepalive-interval", "Keepalive interval",
          "Seconds between Janus keepalive requests; keep it below the "
          "server's session_timeout (60 s by default). 0: none",
          0, 3600, kDefaultKeepaliveSeconds, rw));
  g_object_class_install_property(oc, PROP_RECONNECT_MIN_BACKOFF,
      g_param_spec_uint("reconnect-min-backoff", "Minimum reconnect backoff",
          "Milliseconds before the first attempt to reach Janus again after "
          "losing it; doubled after each failure",
          0, G_MAXINT, kDefaultMinBackoffMs, rw));
  g_object_class_install_property(oc, PROP_RECONNECT_MAX_BACKOFF,
      g_param_spec_uint("reconnect-max-backoff", "Maximum reconnect backoff",
          "Milliseconds between attempts to reach Janus, at most", 0, G_MAXINT,
          kDefaultMaxBackoffMs, rw));
  g_object_class_install_property(oc, PROP_TLS_VALIDATION,
      g_param_spec_boolean("tls-validation", "TLS validation",
          "Check the certificate of a janus+wss:// server; turn off only for "
          "a self-signed test server",
          TRUE, rw));

  g_object_class_install_property(oc, PROP_ACCEPTS_SESSIONS,
      g_param_spec_boolean("accepts-sessions", "Accepts sessions",
          "TRUE for a webrtcsrc following a publisher by display name "
          "(?display= without ?feed=): when it leaves, the source keeps its "
          "pads and plays it again when it republishes (under a new feed id) "
          "instead of ending with EOS",
          FALSE,
          static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));
  g_object_class_override_property(
      oc, PROP_SESSION_RESTARTS, "session-restarts");
  g_object_class_override_property(oc, PROP_CONSUMER_OFFERS, "consumer-offers");
  g_object_class_override_property(oc, PROP_ICE_SERVERS, "ice-servers");
  /* Optional capability (gws-restart.h signaller_carries_renegotiations):
   * no restart, but a publisher's changed offer on the same connection
   * goes to Janus in a `configure`, and Janus's `updated` offers reach a
   * subscriber. */
  g_object_class_install_property(oc, PROP_RENEGOTIATIONS,
      g_param_spec_boolean("renegotiations", "Renegotiations",
          "Always TRUE: a publisher's new offer on the same connection (an "
          "input added or released) is sent to Janus as a configure, and "
          "Janus's updated offers are answered (no session restarts, which "
          "need a new connection)",
          TRUE,
          static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS)));

  /**
   * GwsJanusSignaller::element-message:
   * @self: the signaller
   * @structure: "gws-janus-event": event (joined, attached, configured,
   *   webrtcup, media, slowlink, hangup, republishing, unpublished, updated,
   *   destroyed, disconnected, timeout, error), session-id, feed, room, and
   *   per event: type,
   *   mid, receiving (media); type, uplink, lost (slowlink); reason
   *   (hangup); code, reason (error).
   *
   * For the bins: they post @structure as an element message.
   */
  signals[SIGNAL_ELEMENT_MESSAGE] = g_signal_new("element-message",
      G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr,
      G_TYPE_NONE, 1, GST_TYPE_STRUCTURE | G_SIGNAL_TYPE_STATIC_SCOPE);
}

void
gws_janus_register_schemes(void) {
  static gsize done = 0;
  if (g_once_init_enter(&done)) {
    gws_signaller_register_scheme("janus+ws", GWS_TYPE_JANUS_SIGNALLER);
    gws_signaller_register_scheme("janus+wss", GWS_TYPE_JANUS_SIGNALLER);
    g_once_init_leave(&done, 1);
  }
}
