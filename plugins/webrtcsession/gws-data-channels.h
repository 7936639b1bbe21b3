/* gst-webrtc-session: the data channels of one session, shared by both
 * elements.
 *
 * A session's channels are named by label and outlive its connections: a
 * restart makes a new webrtcbin, so the channels are created again on it
 * (every configured label, and every label either side opened on an
 * earlier connection), and what the application sends goes to one queue
 * per label that only ever feeds the newest connection:
 *  - a message is queued, then sent at once if the newest connection has
 *    an open channel of that label ("buffer until open");
 *  - while a restart is under way the newest connection is the pending one,
 *    so messages wait for its channels instead of going out on a path that
 *    may be dead; if the restart fails, the queue goes to the current
 *    connection. Each message leaves the queue exactly once: none is lost
 *    to a connection's switch and none is sent twice.
 * Messages received on any connection's channels (old, current, pending)
 * reach the application; the sender used only one of them per message.
 * Both sides may open a channel of the same label (an answerer after a
 * restart, a browser that opens "control" itself): messages go out on one
 * of them and are read from all, so the label is what counts.
 *
 * Which side creates channels: every connection creates the configured
 * labels before its first offer or answer; a webrtcbin that offers then
 * has an m=application line, and an answerer joins a data section the
 * peer offered. An answer to an offer without one carries no channels.
 *
 * Threading: all methods on the element's session thread. The channels'
 * signals (open, close, messages) run on webrtcbin's SCTP threads; they
 * post to the session thread (the `Post` given at creation), where the
 * object is found through a weak reference, so a late callback of a
 * closed connection or session finds nothing. */
#pragma once

#include <gst/gst.h>
#include <gst/webrtc/webrtc.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace gws {

/* How a channel is opened (RTCDataChannelInit). */
struct ChannelSpec {
  std::string label;
  bool ordered = true;
  gint max_retransmits = -1;     /* -1: reliable (unless the next) */
  gint max_packet_lifetime = -1; /* ms; -1: reliable */
  std::string protocol;
};

/* The `data-channels` property: a GstValueArray whose items are labels or
 * structures ("telemetry,ordered=false,max-retransmits=0", or
 * GstStructure values). False with @error for a bad item. */
bool parse_channel_specs(
    const GValue *value, std::vector<ChannelSpec> *out, std::string *error);

/* Posts the `gws-data-channel` element message (session-id, label,
 * connection, open) on @element. */
void post_channel_message(GstElement *element, const std::string &session_id,
    const std::string &label, guint gen, bool open);

/* The session named @id, or every session when @id is NULL (what the
 * send-data-* action signals take). */
inline bool
session_matches(const char *id, const std::string &session_id) {
  return !id || session_id == id;
}

class DataChannels : public std::enable_shared_from_this<DataChannels> {
 public:
  /* What may wait for channels to open, per session; more is dropped with
   * a warning. */
  static constexpr size_t kMaxQueuedBytes = 16 * 1024 * 1024;
  /* Runs a function on the session thread (callable from any thread). */
  using Post = std::function<void(std::function<void()>)>;

  struct Message {
    std::string label;
    GBytes *data = nullptr;        /* owned by the sender of the event */
    bool text = false;             /* UTF-8 text (on-message-string) */
    guint gen = 0;                 /* the connection it arrived on */
    const void *channel = nullptr; /* identifies the channel, for reply() */
  };
  struct Events {
    /* A message arrived (session thread). */
    std::function<void(const Message &)> message;
    /* A channel opened or closed on connection @gen (session thread). */
    std::function<void(const std::string &label, guint gen, bool open)> state;
  };

  static std::shared_ptr<DataChannels> create(GstObject *owner,
      std::string session_id, std::vector<ChannelSpec> specs, Post post,
      Events events);
  ~DataChannels();

  DataChannels(const DataChannels &) = delete;
  DataChannels &operator=(const DataChannels &) = delete;

  /* Connection @gen's new webrtcbin: takes the channels the peer opens,
   * and creates ours now if @create (webrtcbin must be in READY or
   * above: it refuses channels before), else at create_channels(). */
  void attach(GstElement *webrtc, guint gen, bool create = true);
  /* Creates our channels on connection @gen (before its offer or
   * answer, once its webrtcbin is in READY or above). */
  void create_channels(guint gen);
  /* Connection @gen is closing: its channels are forgotten; what is
   * queued goes to the newest connection left. */
  void detach(guint gen);

  /* Queues @data (a text message if @text) on @label and sends what the
   * newest connection can take. */
  void send(const std::string &label, GBytes *data, bool text);
  /* Sends @text on the very channel @to arrived on, if it is still open
   * (a protocol's answer); else queues it on its label. */
  void reply(const Message &to, const std::string &text);

  /* Labels with an open channel on the newest connection. */
  std::vector<std::string> open_labels() const;
  /* @label is configured or was opened on this session. */
  bool knows(const std::string &label) const;
  size_t queued() const;
  const std::string &session_id() const { return session_id_; }

 private:
  struct Channel {
    GstWebRTCDataChannel *dc = nullptr; /* owned */
    std::string label;
    bool open = false;
    std::vector<gulong> handlers;
  };
  struct Conn {
    guint gen = 0;
    GstElement *webrtc = nullptr; /* owned */
    gulong on_data_channel = 0;
    std::vector<Channel> channels;
  };
  struct Queued {
    GBytes *data;
    bool text;
  };

  DataChannels(GstObject *owner, std::string session_id,
      std::vector<ChannelSpec> specs, Post post, Events events);

  Conn *find_conn(guint gen);
  Conn *newest();
  Channel *find_channel(guint gen, const void *dc);
  /* Connects the channel's signals (any thread: called from webrtcbin's
   * on-data-channel too, before its first message can arrive). */
  static std::vector<gulong> watch(std::weak_ptr<DataChannels> self, Post post,
      guint gen, GstWebRTCDataChannel *dc);
  /* Takes @dc's reference and @handlers (watch()'s). */
  void add_channel(
      guint gen, GstWebRTCDataChannel *dc, std::vector<gulong> handlers);
  void deliver(guint gen, const void *dc, GBytes *bytes, bool text);
  void on_state(guint gen, const void *dc, bool open);
  void flush(const std::string &label);
  bool send_on(GstWebRTCDataChannel *dc, GBytes *data, bool text);

  GstObject *owner_; /* for logs; not owned, outlives us */
  std::string session_id_;
  std::vector<ChannelSpec> specs_; /* configured, then also seen */
  Post post_;
  Events events_;
  std::vector<Conn> conns_; /* ascending gen */
  bool ending_ = false;     /* in the destructor: nothing is resent */
  std::map<std::string, std::deque<Queued>> queue_;
  size_t queued_bytes_ = 0;
};

} // namespace gws
