/* gst-webrtc-session: the offline exchange signaller (see
 * gws-offline-signaller.h and docs/offline.md).
 *
 * One exchange at a time: the offering side's bin makes its description,
 * we wait until its candidates are gathered (add_ice with NULL, bounded
 * by gather-timeout), put them into the SDP and hand the blob out (folder,
 * element message, terminal); then we wait for the other side's blob
 * (folder polling, stdin, submit-remote), bounded by timeout. The answering
 * side does the same the other way round.
 *
 * Threads and locks: `Private::lock` guards the settings, the uri, the
 * local blob and a remote blob given before start; it is a leaf lock
 * (nothing is called with it held). Everything in `Exchange` is touched by
 * the worker thread only. Signals are emitted from the worker with no lock
 * held. */
#include "gws-offline-signaller.h"

#include "common/gws-worker.h"
#include "offline-blob.h"
#include "whip-util.h"

#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unistd.h>
#include <vector>

GST_DEBUG_CATEGORY_STATIC(gws_offline_debug);
#define GST_CAT_DEFAULT gws_offline_debug

namespace {

using gws::offline::Blob;
using gws::offline::DecodeResult;
using gws::whip::Candidate;

constexpr const char *kOfferFile = "offer.gws";
constexpr const char *kAnswerFile = "answer.gws";
constexpr const char *kByeFile = "bye.gws";
constexpr const char *kPeerId = "offline";
constexpr guint kPollMs = 250;
/* A file that does not decode is reported once it has stayed the same for
 * this many polls (it may still be being written by hand). */
constexpr int kStablePolls = 3;

enum {
  PROP_0,
  PROP_ROLE,
  PROP_URI,
  PROP_OFFERER,
  PROP_DIRECTORY,
  PROP_TIMEOUT,
  PROP_GATHER_TIMEOUT,
  PROP_TERMINAL,
  PROP_QR,
  PROP_LOCAL_BLOB,
  PROP_REMOTE_BLOB,
  PROP_CONSUMER_OFFERS,
  PROP_SESSION_RESTARTS,
  PROP_ACCEPTS_SESSIONS,
  PROP_ICE_SERVERS,
};

enum { SIGNAL_SUBMIT_REMOTE, SIGNAL_ELEMENT_MESSAGE, N_SIGNALS };
guint signals[N_SIGNALS];

struct Settings {
  std::string directory; /* empty: no folder */
  bool consumer_offers = false;
  guint timeout_s = 600;
  guint gather_timeout_ms = 10000;
  bool terminal = false;
  bool qr = true;
};

enum class Phase {
  Idle,      /* stopped */
  Gathering, /* our description is being made and gathered */
  Waiting,   /* ours is out (or we answer): waiting for the remote blob */
  Connected, /* both descriptions exchanged */
  Ended,     /* the session ended; nothing more to exchange */
};

/* A file of the folder, as last seen by the poll. */
struct Seen {
  std::string handled; /* content already acted on (or reported) */
  std::string bad;     /* content that did not decode, and for how long */
  int bad_polls = 0;
};

/* Worker thread only. */
struct Exchange {
  Settings cfg;
  bool we_offer = false;
  Phase phase = Phase::Idle;
  std::string sid;
  GstSDPMessage *local = nullptr; /* our description, candidates not in */
  GstWebRTCSDPType local_type = GST_WEBRTC_SDP_TYPE_OFFER;
  std::vector<Candidate> candidates;
  bool gathered = false;
  bool had_session = false; /* an exchange completed since start */
  GSource *gather_timer = nullptr;
  GSource *wait_timer = nullptr;
  guint poll_id = 0;
  GSource *stdin_source = nullptr;
  std::string stdin_buf;    /* bytes read, not yet a line */
  std::string paste;        /* lines of the blob being pasted */
  std::string last_problem; /* the last bad blob seen, for the timeout */
  std::map<std::string, Seen> seen;
  std::set<std::string> ended; /* session ids that ended */
};

} // namespace

struct GwsOfflineSignallerPrivate {
  /* Leaf lock: guards the fields below it. */
  std::mutex lock;
  GwsSignallerRole role = GWS_SIGNALLER_ROLE_PRODUCER;
  std::string uri;
  std::string uri_error; /* why uri is not usable; reported by start */
  Settings settings;
  std::string local_blob;
  std::string early_remote; /* remote-blob set before start */
  /* The worker has begun the exchange: a remote-blob set from now on goes
   * straight to it (before, it waits in early_remote). Set on the worker,
   * so nothing submitted can overtake the start. */
  bool remote_direct = false;

  gws::Worker worker{"offline-signaller"};
  Exchange ex; /* worker thread only */
};

struct _GwsOfflineSignaller {
  GObject parent;
  GwsOfflineSignallerPrivate *priv;
};

static void gws_offline_signaller_iface_init(GwsSignallerInterface *iface);

G_DEFINE_TYPE_WITH_CODE(GwsOfflineSignaller, gws_offline_signaller,
    G_TYPE_OBJECT,
    G_IMPLEMENT_INTERFACE(GWS_TYPE_SIGNALLER, gws_offline_signaller_iface_init))

namespace {

using Self = GwsOfflineSignaller;

bool
parse_bool(const char *v) {
  return v
         && (!g_ascii_strcasecmp(v, "1") || !g_ascii_strcasecmp(v, "true")
             || !g_ascii_strcasecmp(v, "yes") || !g_ascii_strcasecmp(v, "on"));
}

/* Applies @uri to @s; false with @error when it is not usable. */
bool
settings_from_uri(const std::string &uri, Settings &s, std::string &error) {
  g_autoptr(GError) err = nullptr;
  g_autoptr(GUri) parsed = g_uri_parse(uri.c_str(), G_URI_FLAGS_NONE, &err);
  if (!parsed) {
    error = "invalid offline URI \"" + uri + "\": " + err->message;
    return false;
  }
  const char *host = g_uri_get_host(parsed);
  if (host && *host) {
    error = "offline URI \"" + uri
            + "\" names a host; a folder is written offline:///PATH (three "
              "slashes)";
    return false;
  }
  s.directory = g_uri_get_path(parsed);
  const char *query = g_uri_get_query(parsed);
  if (!query)
    return true;
  g_autoptr(GHashTable) params
      = g_uri_parse_params(query, -1, "&", G_URI_PARAMS_NONE, &err);
  if (!params) {
    error = "invalid query in \"" + uri + "\": " + err->message;
    return false;
  }
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init(&it, params);
  while (g_hash_table_iter_next(&it, &k, &v)) {
    std::string key = static_cast<const char *>(k);
    const char *val = static_cast<const char *>(v);
    if (key == "offerer") {
      if (!g_strcmp0(val, "consumer"))
        s.consumer_offers = true;
      else if (!g_strcmp0(val, "producer"))
        s.consumer_offers = false;
      else {
        error = std::string("offerer=") + val + " in \"" + uri
                + "\": use offerer=producer or offerer=consumer";
        return false;
      }
    } else if (key == "timeout") {
      s.timeout_s = static_cast<guint>(g_ascii_strtoull(val, nullptr, 10));
    } else if (key == "terminal") {
      s.terminal = parse_bool(val);
    } else if (key == "qr") {
      s.qr = parse_bool(val);
    } else {
      GST_WARNING("offline URI %s: unknown parameter %s ignored", uri.c_str(),
          key.c_str());
    }
  }
  return true;
}

const char *
role_name(GwsSignallerRole role) {
  return role == GWS_SIGNALLER_ROLE_PRODUCER ? "producer (webrtcsink)"
                                             : "consumer (webrtcsrc)";
}

GwsSignallerRole
role_of(Self *self) {
  return self->priv->role; /* construct-only */
}

std::string
path_in(const Exchange &ex, const char *name) {
  g_autofree gchar *p = g_build_filename(ex.cfg.directory.c_str(), name, NULL);
  return p;
}

void
cancel_source(GSource *&s) {
  if (s) {
    g_source_destroy(s);
    g_source_unref(s);
    s = nullptr;
  }
}

void
clear_local(Exchange &ex) {
  if (ex.local)
    gst_sdp_message_free(ex.local);
  ex.local = nullptr;
  ex.candidates.clear();
  ex.gathered = false;
  cancel_source(ex.gather_timer);
}

/* Writes @text to DIR/@name atomically (a temporary file renamed over it),
 * so the other side never reads half of it. */
bool
write_file(
    Self *self, const Exchange &ex, const char *name, const std::string &text) {
  std::string path = path_in(ex, name);
  g_autoptr(GError) err = nullptr;
  if (!g_file_set_contents(
          path.c_str(), text.c_str(), static_cast<gssize>(text.size()), &err)) {
    std::string msg = "could not write " + path + ": " + err->message;
    gws_signaller_emit_error(GWS_SIGNALLER(self), msg.c_str());
    return false;
  }
  GST_INFO_OBJECT(self, "wrote %s", path.c_str());
  return true;
}

void
remove_file(const Exchange &ex, const char *name) {
  std::string path = path_in(ex, name);
  if (g_unlink(path.c_str()) == 0)
    GST_INFO("removed %s (from an earlier exchange)", path.c_str());
}

void
done_file(const Exchange &ex, const char *name) {
  std::string path = path_in(ex, name);
  std::string done = path + ".done";
  g_rename(path.c_str(), done.c_str());
}

void
post_message(Self *self, GstStructure *s) {
  g_signal_emit(self, signals[SIGNAL_ELEMENT_MESSAGE], 0, s);
  gst_structure_free(s);
}

/* The person at the terminal (stderr, so stdout stays the pipeline's). */
void
print_for_person(Self *self, const Exchange &ex, const std::string &type,
    const std::string &blob) {
  bool offer = type == "offer";
  const char *other = role_of(self) == GWS_SIGNALLER_ROLE_PRODUCER
                          ? "webrtcsrc"
                          : "webrtcsink";
  std::string out = "\n==== offline signalling: our " + type + " (session "
                    + ex.sid + ") ====\n";
  out += offer ? std::string("Give this line to the other side (") + other
                     + " uri=offline:?terminal=true), then paste its answer "
                       "here.\n"
               : std::string("Give this line back to the other side.\n");
  out += "\n" + blob + "\n\n";
  if (ex.cfg.qr) {
    g_autofree gchar *qrencode = g_find_program_in_path("qrencode");
    if (qrencode) {
      const gchar *argv[]
          = {qrencode, "-t", "ANSIUTF8", "-l", "L", blob.c_str(), nullptr};
      g_autofree gchar *qr = nullptr;
      gint status = 0;
      if (g_spawn_sync(nullptr, const_cast<gchar **>(argv), nullptr,
              G_SPAWN_STDERR_TO_DEV_NULL, nullptr, nullptr, &qr, nullptr,
              &status, nullptr)
          && g_spawn_check_wait_status(status, nullptr) && qr)
        out += std::string(qr) + "\n";
      else
        out += "(" + std::to_string(blob.size())
               + " characters: too long for a QR code)\n";
    }
  }
  if (offer)
    out += "Paste the answer and press Enter:\n";
  fputs(out.c_str(), stderr);
  fflush(stderr);
}

void wait_for_remote(Self *self);
void begin_exchange(Self *self);
void handle_remote(Self *self, const std::string &text, const std::string &from,
    bool *ok, std::string *problem);

/* Our description is complete: put the candidates in and hand it out. */
void
finalize_local(Self *self) {
  Exchange &ex = self->priv->ex;
  if (ex.phase != Phase::Gathering || !ex.local)
    return;
  cancel_source(ex.gather_timer);
  if (ex.candidates.empty())
    GST_WARNING_OBJECT(self, "no local ICE candidate: the other side will "
                             "have none to reach us on");
  GstSDPMessage *full
      = gws::whip::sdp_with_candidates(ex.local, ex.candidates, true);
  std::string sdp = gws::whip::sdp_to_text(full);
  gst_sdp_message_free(full);
  std::string type
      = ex.local_type == GST_WEBRTC_SDP_TYPE_OFFER ? "offer" : "answer";
  std::string blob = gws::offline::encode_blob(type, ex.sid, sdp);
  GST_INFO_OBJECT(self,
      "our %s for session %s: %zu candidates, SDP %zu "
      "bytes, blob %zu characters",
      type.c_str(), ex.sid.c_str(), ex.candidates.size(), sdp.size(),
      blob.size());
  {
    std::lock_guard<std::mutex> g(self->priv->lock);
    self->priv->local_blob = blob;
  }
  std::string file;
  if (!ex.cfg.directory.empty()) {
    const char *name = type == "offer" ? kOfferFile : kAnswerFile;
    if (!write_file(self, ex, name, blob + "\n"))
      return;
    file = path_in(ex, name);
  }
  ex.phase = type == "offer" ? Phase::Waiting : Phase::Connected;
  if (type == "answer")
    ex.had_session = true;
  g_object_notify(G_OBJECT(self), "local-blob");
  post_message(
      self, gst_structure_new("gws-offline-description", "session-id",
                G_TYPE_STRING, ex.sid.c_str(), "type", G_TYPE_STRING,
                type.c_str(), "blob", G_TYPE_STRING, blob.c_str(), "sdp",
                G_TYPE_STRING, sdp.c_str(), "file", G_TYPE_STRING,
                file.empty() ? nullptr : file.c_str(), nullptr));
  if (ex.cfg.terminal)
    print_for_person(self, ex, type, blob);
  if (type == "offer")
    wait_for_remote(self);
}

/* Starts the bounded wait for the other side's blob. */
void
wait_for_remote(Self *self) {
  Exchange &ex = self->priv->ex;
  cancel_source(ex.wait_timer);
  ex.last_problem.clear();
  /* Only the first exchange is bounded: after a session, a producer
   * waits for its next consumer as long as it runs. */
  if (ex.cfg.timeout_s == 0 || ex.had_session)
    return;
  GObject *owner = G_OBJECT(self);
  ex.wait_timer = self->priv->worker.timeout(ex.cfg.timeout_s * 1000, [owner] {
    Self *self = GWS_OFFLINE_SIGNALLER(owner);
    Exchange &ex = self->priv->ex;
    g_source_unref(ex.wait_timer);
    ex.wait_timer = nullptr;
    if (ex.phase != Phase::Waiting)
      return;
    std::string what = ex.we_offer
                           ? "no answer to our offer (session " + ex.sid + ")"
                           : std::string("no offer");
    std::string msg
        = what + " within " + std::to_string(ex.cfg.timeout_s) + " s";
    if (!ex.cfg.directory.empty())
      msg += std::string(": ")
             + path_in(ex, ex.we_offer ? kAnswerFile : kOfferFile)
             + (ex.last_problem.empty() ? " did not appear"
                                        : " never held a "
                                          "usable one");
    if (!ex.last_problem.empty())
      msg += " (last seen: " + ex.last_problem + ")";
    msg += ex.we_offer ? "; give our offer to the other side and its answer "
                         "back, or raise timeout (0 waits forever)"
                       : "; start the offering side (with the same "
                         "?offerer= as this one), or raise timeout (0 "
                         "waits forever)";
    ex.phase = Phase::Ended;
    gws_signaller_emit_error(GWS_SIGNALLER(self), msg.c_str());
  });
}

/* A new exchange from our side: the offerer makes a session and asks its
 * bin for an offer; the answerer waits for one. */
void
begin_exchange(Self *self) {
  Exchange &ex = self->priv->ex;
  clear_local(ex);
  cancel_source(ex.wait_timer);
  ex.sid.clear();
  if (!ex.we_offer) {
    ex.phase = Phase::Waiting;
    wait_for_remote(self);
    GST_INFO_OBJECT(self, "waiting for an offer%s%s",
        ex.cfg.directory.empty() ? "" : " in ", ex.cfg.directory.c_str());
    return;
  }
  g_autofree gchar *uuid = g_uuid_string_random();
  ex.sid = uuid;
  ex.phase = Phase::Gathering;
  GST_INFO_OBJECT(self, "offering in session %s", ex.sid.c_str());
  if (role_of(self) == GWS_SIGNALLER_ROLE_PRODUCER)
    gws_signaller_emit_session_requested(
        GWS_SIGNALLER(self), ex.sid.c_str(), kPeerId, nullptr);
  else
    gws_signaller_emit_session_started(
        GWS_SIGNALLER(self), ex.sid.c_str(), kPeerId);
}

/* The other side's blob (@from says where it came from, for messages).
 * @problem: why it was refused, when it was. A refused blob is a warning
 * (the wait goes on: a good one may still come); only the timeout gives
 * up. */
void
handle_remote(Self *self, const std::string &text, const std::string &from,
    bool *ok_out, std::string *problem_out) {
  Exchange &ex = self->priv->ex;
  auto refuse = [&](const std::string &why) {
    std::string msg = from + ": " + why;
    ex.last_problem = msg;
    if (ok_out)
      *ok_out = false;
    if (problem_out)
      *problem_out = msg;
    gws_signaller_emit_error_full(GWS_SIGNALLER(self), msg.c_str(), FALSE);
  };
  if (ex.phase == Phase::Idle) {
    refuse("the signaller is not started");
    return;
  }
  DecodeResult r = gws::offline::decode_blob(text);
  if (!r.ok()) {
    refuse(r.message);
    return;
  }
  Blob b = r.blob;
  const std::string want = ex.we_offer ? "answer" : "offer";
  if (b.plain_sdp) {
    b.type = want;
    b.session = ex.we_offer ? ex.sid : std::string();
  }
  if (b.type != want) {
    refuse("it is an " + b.type + ", but we wait for an " + want
           + (ex.we_offer ? " (both sides offer: give both the same "
                            "?offerer= in their URI)"
                          : " (both sides answer?)"));
    return;
  }
  if (ex.we_offer) {
    if (ex.phase != Phase::Waiting) {
      refuse(ex.phase == Phase::Gathering
                 ? "an answer before our offer is out: it cannot be ours"
                 : "an answer, but our exchange is over");
      return;
    }
    if (b.session != ex.sid) {
      refuse("a stale answer: it answers session " + b.session
             + ", our current offer is session " + ex.sid
             + " (the other side answered an older offer; give it the "
               "current one)");
      return;
    }
  } else {
    if (!b.plain_sdp && ex.ended.count(b.session)) {
      refuse("a stale offer: session " + b.session + " has ended");
      return;
    }
    if (!b.plain_sdp && b.session == ex.sid && ex.phase != Phase::Waiting) {
      refuse("this offer (session " + b.session + ") is answered already");
      return;
    }
  }
  std::string error;
  GstSDPMessage *sdp = gws::whip::parse_sdp(b.sdp, error);
  if (!sdp) {
    refuse(error);
    return;
  }
  GstWebRTCSessionDescription *desc = gst_webrtc_session_description_new(
      ex.we_offer ? GST_WEBRTC_SDP_TYPE_ANSWER : GST_WEBRTC_SDP_TYPE_OFFER,
      sdp);
  if (ok_out)
    *ok_out = true;
  cancel_source(ex.wait_timer);

  if (ex.we_offer) {
    ex.phase = Phase::Connected;
    ex.had_session = true;
    GST_INFO_OBJECT(
        self, "answer for session %s from %s", ex.sid.c_str(), from.c_str());
    if (!ex.cfg.directory.empty()) {
      done_file(ex, kOfferFile);
      done_file(ex, kAnswerFile);
    }
    gws_signaller_emit_session_description(
        GWS_SIGNALLER(self), ex.sid.c_str(), desc);
    gst_webrtc_session_description_free(desc);
    return;
  }

  /* An offer: a new session (replacing the one we had, if any: a restart
   * is a new exchange). */
  std::string old = ex.sid;
  bool replaces = !old.empty() && ex.phase != Phase::Waiting;
  clear_local(ex);
  if (b.session.empty()) {
    g_autofree gchar *uuid = g_uuid_string_random();
    b.session = uuid;
  }
  ex.sid = b.session;
  ex.phase = Phase::Gathering;
  GST_INFO_OBJECT(self, "offer for session %s from %s%s", ex.sid.c_str(),
      from.c_str(), replaces ? " (replaces our session)" : "");
  if (role_of(self) == GWS_SIGNALLER_ROLE_PRODUCER) {
    if (replaces) {
      ex.ended.insert(old);
      gws_signaller_emit_session_ended(
          GWS_SIGNALLER(self), old.c_str(), "a new offer replaced it");
    }
    gws_signaller_emit_session_requested(
        GWS_SIGNALLER(self), ex.sid.c_str(), kPeerId, desc);
  } else {
    /* webrtcsrc replaces its session with the new one on the same pads. */
    if (replaces)
      ex.ended.insert(old);
    gws_signaller_emit_session_started(
        GWS_SIGNALLER(self), ex.sid.c_str(), kPeerId);
    gws_signaller_emit_session_description(
        GWS_SIGNALLER(self), ex.sid.c_str(), desc);
  }
  gst_webrtc_session_description_free(desc);
}

/* The other side ended the session (its bye file), or refused our offer. */
void
remote_bye(Self *self, const std::string &sid, const std::string &reason) {
  Exchange &ex = self->priv->ex;
  if (sid != ex.sid || ex.ended.count(sid))
    return;
  ex.ended.insert(sid);
  Phase was = ex.phase;
  ex.phase = Phase::Ended;
  GST_INFO_OBJECT(self, "session %s ended by the other side: %s", sid.c_str(),
      reason.c_str());
  bool serving = role_of(self) == GWS_SIGNALLER_ROLE_PRODUCER;
  if (was == Phase::Waiting || was == Phase::Gathering) {
    std::string msg = "the other side gave up on session " + sid + ": "
                      + (reason.empty() ? "no reason given" : reason);
    /* A producer that served a session before goes on to the next. */
    gws_signaller_emit_error_full(
        GWS_SIGNALLER(self), msg.c_str(), !(serving && ex.had_session));
    if (serving && ex.had_session)
      begin_exchange(self);
    return;
  }
  gws_signaller_emit_session_ended(GWS_SIGNALLER(self), sid.c_str(),
      reason.empty() ? "the other side ended the session" : reason.c_str());
  /* A producer serves the next consumer with a new exchange. */
  if (serving)
    begin_exchange(self);
}

/* Tells the other side (folder only) that @sid is over. */
void
write_bye(Self *self, const std::string &sid, const std::string &reason) {
  Exchange &ex = self->priv->ex;
  if (ex.cfg.directory.empty() || sid.empty())
    return;
  write_file(self, ex, kByeFile, "bye " + sid + "\n" + reason + "\n");
}

/* One look at a folder file: returns its new content when it changed and
 * is worth acting on. Undecodable content is handed out only once it has
 * stayed the same for kStablePolls (it may be half copied). */
bool
look_at(Exchange &ex, const char *name, std::string &content) {
  std::string path = path_in(ex, name);
  gchar *data = nullptr;
  gsize len = 0;
  if (!g_file_get_contents(path.c_str(), &data, &len, nullptr)) {
    ex.seen[name] = Seen();
    return false;
  }
  content.assign(data, len);
  g_free(data);
  Seen &s = ex.seen[name];
  if (content == s.handled)
    return false;
  if (!strcmp(name, kByeFile)) {
    s.handled = content;
    return true;
  }
  if (gws::offline::decode_blob(content).ok()) {
    s.handled = content;
    return true;
  }
  if (content != s.bad) {
    s.bad = content;
    s.bad_polls = 1;
    return false;
  }
  if (++s.bad_polls < kStablePolls)
    return false;
  s.handled = content;
  return true;
}

void
poll_folder(Self *self) {
  Exchange &ex = self->priv->ex;
  std::string content;
  if (ex.phase == Phase::Waiting
      || (!ex.we_offer && ex.phase == Phase::Connected)) {
    const char *name = ex.we_offer ? kAnswerFile : kOfferFile;
    if (look_at(ex, name, content))
      handle_remote(self, content, path_in(ex, name), nullptr, nullptr);
  }
  /* Both sides set to offer write the same offer file: say so rather
   * than time out in silence. */
  if (ex.we_offer && ex.phase == Phase::Waiting
      && look_at(ex, kOfferFile, content)) {
    DecodeResult r = gws::offline::decode_blob(content);
    if (r.ok() && r.blob.type == "offer" && r.blob.session != ex.sid) {
      std::string msg = path_in(ex, kOfferFile) + ": another offer (session "
                        + r.blob.session
                        + ") replaced ours: both sides are set to offer; "
                          "give both the same ?offerer= in their URI";
      ex.last_problem = msg;
      gws_signaller_emit_error_full(GWS_SIGNALLER(self), msg.c_str(), FALSE);
    }
  }
  if (ex.phase == Phase::Ended && role_of(self) == GWS_SIGNALLER_ROLE_CONSUMER)
    return;
  if (look_at(ex, kByeFile, content)
      && g_str_has_prefix(content.c_str(), "bye ")) {
    std::string rest = content.substr(4);
    size_t nl = rest.find('\n');
    std::string sid = rest.substr(0, nl);
    std::string reason = nl == std::string::npos ? "" : rest.substr(nl + 1);
    while (!reason.empty() && (reason.back() == '\n' || reason.back() == '\r'))
      reason.pop_back();
    remote_bye(self, sid, reason);
  }
}

/* A line from the terminal: pasted blobs may span lines (wrapped by a
 * mail or chat client); plain SDP ends with an empty line. */
void
terminal_line(Self *self, const std::string &line) {
  Exchange &ex = self->priv->ex;
  bool blank = line.find_first_not_of(" \t\r") == std::string::npos;
  if (blank && ex.paste.empty())
    return;
  if (!blank)
    ex.paste += line + "\n";
  DecodeResult r = gws::offline::decode_blob(ex.paste);
  bool sdp = r.ok() && r.blob.plain_sdp;
  bool more = !blank
              && (r.error == gws::offline::BlobError::Truncated
                  || (r.error == gws::offline::BlobError::BadContent
                      && ex.paste.compare(0, 3, "v=0") == 0)
                  || sdp);
  if (more)
    return;
  std::string paste = std::move(ex.paste);
  ex.paste.clear();
  bool ok = false;
  std::string problem;
  handle_remote(self, paste, "the pasted text", &ok, &problem);
  fputs(ok ? "offline signalling: accepted.\n"
           : ("offline signalling: " + problem + "\nPaste it again:\n").c_str(),
      stderr);
  fflush(stderr);
}

gboolean
on_stdin(gint fd, GIOCondition cond, gpointer data) {
  Self *self = GWS_OFFLINE_SIGNALLER(data);
  Exchange &ex = self->priv->ex;
  char buf[4096];
  ssize_t n = read(fd, buf, sizeof buf);
  if (n <= 0) {
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
      return G_SOURCE_CONTINUE;
    if (!ex.stdin_buf.empty()) {
      std::string rest = std::move(ex.stdin_buf);
      ex.stdin_buf.clear();
      terminal_line(self, rest);
    }
    terminal_line(self, ""); /* end of input ends a paste */
    g_source_unref(ex.stdin_source);
    ex.stdin_source = nullptr;
    return G_SOURCE_REMOVE;
  }
  ex.stdin_buf.append(buf, static_cast<size_t>(n));
  size_t nl;
  while ((nl = ex.stdin_buf.find('\n')) != std::string::npos) {
    std::string line = ex.stdin_buf.substr(0, nl);
    ex.stdin_buf.erase(0, nl + 1);
    terminal_line(self, line);
  }
  return G_SOURCE_CONTINUE;
}

/* ---- the methods (any thread; work is posted to the worker) ---- */

void
do_start(GwsSignaller *sig) {
  Self *self = GWS_OFFLINE_SIGNALLER(sig);
  auto *priv = self->priv;
  Settings cfg;
  std::string uri_error;
  {
    std::lock_guard<std::mutex> g(priv->lock);
    cfg = priv->settings;
    uri_error = priv->uri_error;
    priv->local_blob.clear();
  }
  if (!uri_error.empty()) {
    gws_signaller_emit_error(sig, uri_error.c_str());
    return;
  }
  priv->worker.start();
  priv->worker.post(G_OBJECT(self), [self, cfg] {
    Exchange &ex = self->priv->ex;
    if (ex.phase != Phase::Idle)
      return;
    std::string early;
    {
      std::lock_guard<std::mutex> g(self->priv->lock);
      early = std::move(self->priv->early_remote);
      self->priv->early_remote.clear();
      self->priv->remote_direct = true;
    }
    ex.cfg = cfg;
    GwsSignallerRole role = role_of(self);
    ex.we_offer = (role == GWS_SIGNALLER_ROLE_PRODUCER) != cfg.consumer_offers;
    ex.seen.clear();
    ex.ended.clear();
    ex.had_session = false;
    GST_INFO_OBJECT(self, "%s, %s, %s%s", role_name(role),
        ex.we_offer ? "offering" : "answering",
        cfg.directory.empty() ? "no folder" : "folder ", cfg.directory.c_str());
    if (!cfg.directory.empty()) {
      if (g_mkdir_with_parents(cfg.directory.c_str(), 0755) != 0) {
        std::string msg = "could not make the exchange folder " + cfg.directory
                          + ": " + g_strerror(errno);
        gws_signaller_emit_error(GWS_SIGNALLER(self), msg.c_str());
        return;
      }
      /* The offerer starts a new exchange: whatever answer or bye lies in
       * the folder belongs to an earlier one. */
      if (ex.we_offer) {
        remove_file(ex, kOfferFile);
        remove_file(ex, kAnswerFile);
        remove_file(ex, kByeFile);
      } else {
        /* A bye already there is for an earlier session. */
        std::string old;
        look_at(ex, kByeFile, old);
      }
      GObject *owner = G_OBJECT(self);
      ex.poll_id = self->priv->worker.every(
          kPollMs, [owner] { poll_folder(GWS_OFFLINE_SIGNALLER(owner)); });
    }
    if (cfg.terminal) {
      ex.stdin_source = g_unix_fd_source_new(
          0, static_cast<GIOCondition>(G_IO_IN | G_IO_HUP | G_IO_ERR));
      g_source_set_callback(ex.stdin_source,
          reinterpret_cast<GSourceFunc>(reinterpret_cast<void (*)()>(on_stdin)),
          self, nullptr);
      g_source_attach(ex.stdin_source, self->priv->worker.context());
      if (!ex.we_offer && early.empty())
        fputs("offline signalling: paste the other side's offer and press "
              "Enter:\n",
            stderr);
    }
    begin_exchange(self);
    if (!early.empty())
      handle_remote(self, early, "the remote-blob property", nullptr, nullptr);
  });
}

void
stop_on_worker(Self *self) {
  Exchange &ex = self->priv->ex;
  if (ex.phase == Phase::Idle)
    return;
  if (ex.phase == Phase::Connected)
    write_bye(self, ex.sid, "the other side stopped");
  if (ex.poll_id)
    self->priv->worker.cancel(ex.poll_id);
  ex.poll_id = 0;
  cancel_source(ex.wait_timer);
  cancel_source(ex.stdin_source);
  clear_local(ex);
  ex.phase = Phase::Idle;
  ex.sid.clear();
  ex.paste.clear();
  ex.stdin_buf.clear();
}

void
do_stop(GwsSignaller *sig) {
  Self *self = GWS_OFFLINE_SIGNALLER(sig);
  auto &w = self->priv->worker;
  {
    std::lock_guard<std::mutex> g(self->priv->lock);
    self->priv->remote_direct = false;
  }
  if (!w.running())
    return;
  if (w.is_current()) {
    stop_on_worker(self);
    return;
  }
  w.post(G_OBJECT(self), [self] { stop_on_worker(self); });
  w.stop();
}

void
do_send_sdp(GwsSignaller *sig, const gchar *session_id,
    const GstWebRTCSessionDescription *desc) {
  Self *self = GWS_OFFLINE_SIGNALLER(sig);
  std::string sid = session_id;
  GstSDPMessage *copy = nullptr;
  gst_sdp_message_copy(desc->sdp, &copy);
  GstWebRTCSDPType type = desc->type;
  bool posted
      = self->priv->worker.post(G_OBJECT(self), [self, sid, copy, type] {
          Exchange &ex = self->priv->ex;
          if (ex.phase != Phase::Gathering || sid != ex.sid) {
            GST_DEBUG_OBJECT(
                self, "description for %s ignored (not current)", sid.c_str());
            gst_sdp_message_free(copy);
            return;
          }
          if (type != GST_WEBRTC_SDP_TYPE_OFFER
              && type != GST_WEBRTC_SDP_TYPE_ANSWER) {
            gst_sdp_message_free(copy);
            return;
          }
          if (ex.local)
            gst_sdp_message_free(ex.local);
          ex.local = copy;
          ex.local_type = type;
          if (ex.gathered) {
            finalize_local(self);
            return;
          }
          if (!ex.gather_timer) {
            GObject *owner = G_OBJECT(self);
            ex.gather_timer = self->priv->worker.timeout(
                ex.cfg.gather_timeout_ms, [owner] {
                  Self *self = GWS_OFFLINE_SIGNALLER(owner);
                  Exchange &ex = self->priv->ex;
                  g_source_unref(ex.gather_timer);
                  ex.gather_timer = nullptr;
                  GST_WARNING_OBJECT(self,
                      "ICE gathering not complete after %u ms: sending the %zu "
                      "candidates we have",
                      ex.cfg.gather_timeout_ms, ex.candidates.size());
                  finalize_local(self);
                });
          }
        });
  if (!posted)
    gst_sdp_message_free(copy);
}

void
do_add_ice(GwsSignaller *sig, const gchar *session_id, const gchar *candidate,
    guint mline, const gchar *mid) {
  Self *self = GWS_OFFLINE_SIGNALLER(sig);
  std::string sid = session_id;
  bool end = candidate == nullptr;
  Candidate c;
  c.mline = mline;
  c.mid = mid ? mid : "";
  c.candidate = candidate ? candidate : "";
  if (!end && !g_str_has_prefix(c.candidate.c_str(), "candidate:"))
    c.candidate = "candidate:" + c.candidate;
  self->priv->worker.post(G_OBJECT(self), [self, sid, end, c] {
    Exchange &ex = self->priv->ex;
    if (ex.phase != Phase::Gathering || sid != ex.sid)
      return;
    if (!end) {
      ex.candidates.push_back(c);
      return;
    }
    ex.gathered = true;
    if (ex.local)
      finalize_local(self);
  });
}

void
end_on_worker(Self *self, const std::string &sid, const std::string &reason) {
  Exchange &ex = self->priv->ex;
  if (sid != ex.sid || ex.phase == Phase::Idle || ex.ended.count(sid))
    return;
  bool exchanged = ex.phase == Phase::Connected || ex.phase == Phase::Waiting;
  ex.ended.insert(sid);
  if (exchanged || ex.phase == Phase::Gathering)
    write_bye(self, sid, reason);
  clear_local(ex);
  cancel_source(ex.wait_timer);
  ex.phase = Phase::Ended;
  GST_INFO_OBJECT(
      self, "session %s ended here: %s", sid.c_str(), reason.c_str());
  /* A producer serves the next consumer with a new exchange, once one
   * worked (a session that fails before its exchange completes would
   * otherwise loop). */
  if (role_of(self) == GWS_SIGNALLER_ROLE_PRODUCER && ex.had_session)
    begin_exchange(self);
}

void
do_end_session_with_reason(
    GwsSignaller *sig, const gchar *session_id, const gchar *reason) {
  Self *self = GWS_OFFLINE_SIGNALLER(sig);
  std::string sid = session_id;
  std::string why = reason ? reason : "ended";
  self->priv->worker.post(
      G_OBJECT(self), [self, sid, why] { end_on_worker(self, sid, why); });
}

void
do_end_session(GwsSignaller *sig, const gchar *session_id) {
  do_end_session_with_reason(sig, session_id, nullptr);
}

/* "submit-remote": the other side's blob from the application. Returns
 * whether it was accepted; a refusal is also an error::retrying. */
gboolean
submit_remote(Self *self, const gchar *text) {
  if (!text)
    return FALSE;
  auto &w = self->priv->worker;
  if (!w.running()) {
    gws_signaller_emit_error_full(GWS_SIGNALLER(self),
        "submit-remote: the signaller is not started (set remote-blob "
        "before starting instead)",
        FALSE);
    return FALSE;
  }
  bool ok = false;
  std::string problem;
  std::string copy = text;
  w.run_sync(
      [&] { handle_remote(self, copy, "the submitted text", &ok, &problem); });
  return ok;
}

} // namespace

static void
gws_offline_signaller_iface_init(GwsSignallerInterface *iface) {
  iface->start = do_start;
  iface->stop = do_stop;
  iface->send_sdp = do_send_sdp;
  iface->add_ice = do_add_ice;
  iface->end_session = do_end_session;
  iface->end_session_with_reason = do_end_session_with_reason;
}

static void
gws_offline_signaller_init(GwsOfflineSignaller *self) {
  self->priv = new GwsOfflineSignallerPrivate;
}

static void
gws_offline_signaller_set_property(
    GObject *object, guint id, const GValue *value, GParamSpec *pspec) {
  Self *self = GWS_OFFLINE_SIGNALLER(object);
  auto *priv = self->priv;
  if (id == PROP_REMOTE_BLOB) {
    const gchar *text = g_value_get_string(value);
    if (!text || !*text)
      return;
    bool direct;
    {
      std::lock_guard<std::mutex> g(priv->lock);
      direct = priv->remote_direct;
      if (!direct)
        priv->early_remote = text; /* the start hands it over */
    }
    if (direct)
      submit_remote(self, text);
    return;
  }
  std::lock_guard<std::mutex> g(priv->lock);
  Settings &s = priv->settings;
  switch (id) {
    case PROP_ROLE:
      priv->role = static_cast<GwsSignallerRole>(g_value_get_enum(value));
      break;
    case PROP_URI: {
      const gchar *uri = g_value_get_string(value);
      priv->uri = uri ? uri : "";
      priv->uri_error.clear();
      if (!priv->uri.empty()) {
        Settings parsed = s;
        if (settings_from_uri(priv->uri, parsed, priv->uri_error))
          s = parsed;
      }
      break;
    }
    case PROP_OFFERER: {
      const gchar *v = g_value_get_string(value);
      s.consumer_offers = !g_strcmp0(v, "consumer");
      break;
    }
    case PROP_DIRECTORY: {
      const gchar *v = g_value_get_string(value);
      s.directory = v ? v : "";
      break;
    }
    case PROP_TIMEOUT:
      s.timeout_s = g_value_get_uint(value);
      break;
    case PROP_GATHER_TIMEOUT:
      s.gather_timeout_ms = g_value_get_uint(value);
      break;
    case PROP_TERMINAL:
      s.terminal = g_value_get_boolean(value);
      break;
    case PROP_QR:
      s.qr = g_value_get_boolean(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

static void
gws_offline_signaller_get_property(
    GObject *object, guint id, GValue *value, GParamSpec *pspec) {
  auto *priv = GWS_OFFLINE_SIGNALLER(object)->priv;
  std::lock_guard<std::mutex> g(priv->lock);
  const Settings &s = priv->settings;
  switch (id) {
    case PROP_ROLE:
      g_value_set_enum(value, priv->role);
      break;
    case PROP_URI:
      g_value_set_string(
          value, priv->uri.empty() ? nullptr : priv->uri.c_str());
      break;
    case PROP_OFFERER:
      g_value_set_string(value, s.consumer_offers ? "consumer" : "producer");
      break;
    case PROP_DIRECTORY:
      g_value_set_string(
          value, s.directory.empty() ? nullptr : s.directory.c_str());
      break;
    case PROP_TIMEOUT:
      g_value_set_uint(value, s.timeout_s);
      break;
    case PROP_GATHER_TIMEOUT:
      g_value_set_uint(value, s.gather_timeout_ms);
      break;
    case PROP_TERMINAL:
      g_value_set_boolean(value, s.terminal);
      break;
    case PROP_QR:
      g_value_set_boolean(value, s.qr);
      break;
    case PROP_LOCAL_BLOB:
      g_value_set_string(
          value, priv->local_blob.empty() ? nullptr : priv->local_blob.c_str());
      break;
    case PROP_REMOTE_BLOB:
      g_value_set_string(value, nullptr);
      break;
    case PROP_CONSUMER_OFFERS:
      g_value_set_boolean(value,
          s.consumer_offers && priv->role == GWS_SIGNALLER_ROLE_CONSUMER);
      break;
    case PROP_SESSION_RESTARTS:
    case PROP_ACCEPTS_SESSIONS:
      g_value_set_boolean(value, FALSE);
      break;
    case PROP_ICE_SERVERS:
      g_value_set_boxed(value, nullptr);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
  }
}

static void
gws_offline_signaller_dispose(GObject *object) {
  Self *self = GWS_OFFLINE_SIGNALLER(object);
  do_stop(GWS_SIGNALLER(self));
  self->priv->worker.stop();
  G_OBJECT_CLASS(gws_offline_signaller_parent_class)->dispose(object);
}

static void
gws_offline_signaller_finalize(GObject *object) {
  delete GWS_OFFLINE_SIGNALLER(object)->priv;
  G_OBJECT_CLASS(gws_offline_signaller_parent_class)->finalize(object);
}

static void
gws_offline_signaller_class_init(GwsOfflineSignallerClass *klass) {
  GST_DEBUG_CATEGORY_INIT(gws_offline_debug, "webrtc-signaller-offline", 0,
      "offline exchange signaller (offline://)");
  GObjectClass *oc = G_OBJECT_CLASS(klass);
  oc->set_property = gws_offline_signaller_set_property;
  oc->get_property = gws_offline_signaller_get_property;
  oc->dispose = gws_offline_signaller_dispose;
  oc->finalize = gws_offline_signaller_finalize;
  g_object_class_override_property(oc, PROP_ROLE, "role");
  g_object_class_override_property(oc, PROP_URI, "uri");

  auto rw = static_cast<GParamFlags>(
      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  auto ro = static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_property(oc, PROP_OFFERER,
      g_param_spec_string("offerer", "Offerer",
          "Which side offers: \"producer\" (webrtcsink) or \"consumer\" "
          "(webrtcsrc); both sides must agree (URI ?offerer=)",
          "producer", rw));
  g_object_class_install_property(oc, PROP_DIRECTORY,
      g_param_spec_string("directory", "Directory",
          "The exchange folder (the URI's path): the offer is written to "
          "offer.gws, the answer to answer.gws; empty: no folder",
          nullptr, rw));
  g_object_class_install_property(oc, PROP_TIMEOUT,
      g_param_spec_uint("timeout", "Timeout",
          "Seconds to wait for the other side's description before a fatal "
          "error (URI ?timeout=); 0 waits forever",
          0, G_MAXUINT / 1000, 600, rw));
  g_object_class_install_property(oc, PROP_GATHER_TIMEOUT,
      g_param_spec_uint("gather-timeout", "Gather timeout",
          "Milliseconds to wait for ICE gathering to complete before our "
          "description is sent with the candidates found so far",
          100, 600000, 10000, rw));
  g_object_class_install_property(oc, PROP_TERMINAL,
      g_param_spec_boolean("terminal", "Terminal",
          "Print our description on stderr (with a QR code when qrencode is "
          "installed) and read the other side's from stdin (URI "
          "?terminal=true)",
          FALSE, rw));
  g_object_class_install_property(oc, PROP_QR,
      g_param_spec_boolean("qr", "QR code",
          "With terminal: also print the description as a QR code when "
          "qrencode is on PATH",
          TRUE, rw));
  g_object_class_install_property(oc, PROP_LOCAL_BLOB,
      g_param_spec_string("local-blob", "Local description",
          "Our complete description as a GWS1 text blob, once made (also "
          "posted as the element message gws-offline-description)",
          nullptr, ro));
  g_object_class_install_property(oc, PROP_REMOTE_BLOB,
      g_param_spec_string("remote-blob", "Remote description",
          "Give the other side's description (GWS1 blob or plain SDP); set "
          "before start it is used once the exchange begins",
          nullptr,
          static_cast<GParamFlags>(
              G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS)));
  g_object_class_install_property(oc, PROP_CONSUMER_OFFERS,
      g_param_spec_boolean("consumer-offers", "Consumer offers",
          "TRUE for a consumer whose offerer is \"consumer\": webrtcsrc "
          "makes the offer",
          FALSE, ro));
  /* One exchange of descriptions, no channel afterwards: no restarts, one
   * session, no servers announced. */
  g_object_class_override_property(
      oc, PROP_SESSION_RESTARTS, "session-restarts");
  g_object_class_override_property(
      oc, PROP_ACCEPTS_SESSIONS, "accepts-sessions");
  g_object_class_override_property(oc, PROP_ICE_SERVERS, "ice-servers");

  /**
   * GwsOfflineSignaller::submit-remote:
   * @self: the signaller
   * @text: the other side's description (GWS1 blob or plain SDP)
   *
   * Action signal. Returns TRUE when it was accepted; a refused one
   * (damaged, stale, wrong type) returns FALSE and is also reported as
   * error::retrying with the reason.
   */
  signals[SIGNAL_SUBMIT_REMOTE]
      = g_signal_new_class_handler("submit-remote", G_TYPE_FROM_CLASS(klass),
          static_cast<GSignalFlags>(G_SIGNAL_RUN_LAST | G_SIGNAL_ACTION),
          G_CALLBACK(submit_remote), nullptr, nullptr, nullptr, G_TYPE_BOOLEAN,
          1, G_TYPE_STRING);

  /**
   * GwsOfflineSignaller::element-message:
   * @self: the signaller
   * @structure: the message's structure
   *
   * For the bins: post @structure as an element message of the bin
   * ("gws-offline-description": session-id, type, blob, sdp, file).
   */
  signals[SIGNAL_ELEMENT_MESSAGE] = g_signal_new("element-message",
      G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, nullptr, nullptr, nullptr,
      G_TYPE_NONE, 1, GST_TYPE_STRUCTURE | G_SIGNAL_TYPE_STATIC_SCOPE);
}

void
gws_offline_register_schemes(void) {
  static gsize done = 0;
  if (g_once_init_enter(&done)) {
    gws_signaller_register_scheme("offline", GWS_TYPE_OFFLINE_SIGNALLER);
    g_once_init_leave(&done, 1);
  }
}
