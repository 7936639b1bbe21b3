/* webrtcsink and webrtcsrc through a real Janus VideoRoom (Debian's janus),
 * end to end with media.
 *
 * run-janus.sh runs this program inside a private network namespace (the
 * "test side", veth gwsjv1 = 10.77.0.2) and makes a second namespace for
 * Janus (veth gwsjv0 = 10.77.0.1; Janus never gathers on loopback, so it
 * gets a real interface, and ice_enforce_list names it). This program starts
 * Janus there (`ip netns exec $GWS_JANUS_NS janus -F tests/janus/config`),
 * once for all cases, and restarts it in the restart case. Our elements use
 * ice-addresses=10.77.0.2 and reach the API at ws://10.77.0.1:8188.
 *
 * Each case uses its own room or display name so cases do not see each
 * other's publishers. Waits are on events (bus messages, decoded buffers)
 * with a timeout; no sleeps. */
#include <gtest/gtest.h>

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <json-glib/json-glib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr const char *kJanusAddress = "10.77.0.1";
constexpr int kJanusPort = 8188;
constexpr const char *kOurAddress = "10.77.0.2";
/* Generous: a loaded CI machine encodes at a few frames per second. */
constexpr auto kWait = std::chrono::seconds(40);

std::string
janus_uri(const std::string &query) {
  return std::string("janus+ws://") + kJanusAddress + ":"
         + std::to_string(kJanusPort) + "/?" + query;
}

/* A Janus Admin API request over HTTP (curl); the reply's JSON or null. */
JsonNode *
admin(const std::string &body) {
  std::string json
      = "{\"transaction\":\"t\",\"admin_secret\":\"janusoverlord\"," + body
        + "}";
  std::string url = std::string("http://") + kJanusAddress + ":7088/admin";
  const char *argv[] = {"curl", "-s", "-m", "10", "-X", "POST", "-d",
      json.c_str(), url.c_str(), nullptr};
  g_autofree gchar *out = nullptr;
  gint status = 0;
  if (!g_spawn_sync(nullptr, const_cast<gchar **>(argv), nullptr,
          G_SPAWN_SEARCH_PATH, nullptr, nullptr, &out, nullptr, &status,
          nullptr)
      || !out)
    return nullptr;
  return json_from_string(out, nullptr);
}

/* A request to the VideoRoom plugin through the Admin API
 * (message_plugin); true when the plugin answered without an error. */
bool
videoroom_admin(const std::string &request) {
  g_autoptr(JsonNode) reply = admin(
      "\"janus\":\"message_plugin\",\"plugin\":\"janus.plugin.videoroom\","
      "\"request\":"
      + request);
  if (!reply || !JSON_NODE_HOLDS_OBJECT(reply))
    return false;
  JsonObject *o = json_node_get_object(reply);
  if (g_strcmp0(json_object_get_string_member_with_default(o, "janus", ""),
          "success"))
    return false;
  JsonObject *r = json_object_get_object_member(o, "response");
  return r && !json_object_has_member(r, "error_code");
}

/* An Admin API request answered with "success". */
bool
admin_ok(const std::string &body) {
  g_autoptr(JsonNode) reply = admin(body);
  return reply && JSON_NODE_HOLDS_OBJECT(reply)
         && !g_strcmp0(json_object_get_string_member_with_default(
                           json_node_get_object(reply), "janus", ""),
             "success");
}

/* Runs @argv (a command in our namespace); true when it exits with 0. */
bool
run(const std::vector<std::string> &args) {
  std::vector<const char *> argv;
  for (auto &a : args)
    argv.push_back(a.c_str());
  argv.push_back(nullptr);
  gint status = 0;
  return g_spawn_sync(nullptr, const_cast<gchar **>(argv.data()), nullptr,
             G_SPAWN_SEARCH_PATH, nullptr, nullptr, nullptr, nullptr, &status,
             nullptr)
         && g_spawn_check_wait_status(status, nullptr);
}

/* The ids in member @member of an Admin API reply. */
std::vector<gint64>
admin_ids(JsonNode *reply, const char *member) {
  std::vector<gint64> ids;
  if (!reply || !JSON_NODE_HOLDS_OBJECT(reply))
    return ids;
  JsonObject *o = json_node_get_object(reply);
  if (!json_object_has_member(o, member))
    return ids;
  JsonArray *a = json_object_get_array_member(o, member);
  for (guint i = 0; a && i < json_array_get_length(a); i++)
    ids.push_back(json_array_get_int_element(a, i));
  return ids;
}

/* Hangs up every PeerConnection Janus has (hangup_webrtc on every handle
 * of every session); returns how many handles. */
int
hang_up_everything() {
  int n = 0;
  g_autoptr(JsonNode) sessions = admin("\"janus\":\"list_sessions\"");
  for (gint64 s : admin_ids(sessions, "sessions")) {
    g_autoptr(JsonNode) handles = admin(
        "\"janus\":\"list_handles\",\"session_id\":" + std::to_string(s));
    for (gint64 h : admin_ids(handles, "handles")) {
      [[maybe_unused]] g_autoptr(JsonNode) r
          = admin("\"janus\":\"hangup_webrtc\",\"session_id\":"
                  + std::to_string(s) + ",\"handle_id\":" + std::to_string(h));
      n++;
    }
  }
  return n;
}

/* The VideoRoom's view of the participant called @display (Admin API
 * handle_info, "plugin_specific": display, bitrate, streams with their
 * codecs), as JSON text; empty when no handle has it. */
std::string
participant_info(const std::string &display) {
  g_autoptr(JsonNode) sessions = admin("\"janus\":\"list_sessions\"");
  for (gint64 s : admin_ids(sessions, "sessions")) {
    g_autoptr(JsonNode) handles = admin(
        "\"janus\":\"list_handles\",\"session_id\":" + std::to_string(s));
    for (gint64 h : admin_ids(handles, "handles")) {
      g_autoptr(JsonNode) info
          = admin("\"janus\":\"handle_info\",\"session_id\":"
                  + std::to_string(s) + ",\"handle_id\":" + std::to_string(h));
      if (!info || !JSON_NODE_HOLDS_OBJECT(info))
        continue;
      JsonObject *o = json_node_get_object(info);
      JsonObject *i = json_object_has_member(o, "info")
                          ? json_object_get_object_member(o, "info")
                          : nullptr;
      JsonNode *ps = i && json_object_has_member(i, "plugin_specific")
                         ? json_object_get_member(i, "plugin_specific")
                         : nullptr;
      if (!ps || !JSON_NODE_HOLDS_OBJECT(ps))
        continue;
      if (g_strcmp0(json_object_get_string_member_with_default(
                        json_node_get_object(ps), "display", ""),
              display.c_str()))
        continue;
      g_autofree gchar *text = json_to_string(ps, FALSE);
      return text;
    }
  }
  return {};
}

/* Janus in its namespace, as a child process. */
class Janus {
 public:
  /* Starts Janus with the test config; @extra adds settings to janus.jcfg
   * (section, "name = value"), written to a variant file. */
  bool start(
      const std::vector<std::pair<std::string, std::string>> &extra = {}) {
    const char *ns = g_getenv("GWS_JANUS_NS");
    if (!ns || !prepare_config())
      return false;
    const char *config = config_.c_str();
    std::string jcfg = config_ + "/janus.jcfg";
    if (!extra.empty()) {
      g_autofree gchar *text = nullptr;
      if (!g_file_get_contents(jcfg.c_str(), &text, nullptr, nullptr))
        return false;
      std::string out = text;
      for (auto &[section, line] : extra) {
        auto pos = out.find(section + ": {");
        if (pos == std::string::npos)
          return false;
        out.insert(pos + section.size() + 3, "\n\t" + line);
      }
      jcfg = config_ + "/" + kVariant;
      if (!g_file_set_contents(jcfg.c_str(), out.c_str(), -1, nullptr))
        return false;
    }
    std::string log = std::string(g_get_tmp_dir()) + "/gws-janus-"
                      + std::to_string(getpid()) + ".log";
    pid_ = fork();
    if (pid_ == 0) {
      FILE *f = freopen(log.c_str(), "a", stdout);
      (void)f;
      dup2(STDOUT_FILENO, STDERR_FILENO);
      execlp("ip", "ip", "netns", "exec", ns, "janus", "-F", config, "-C",
          jcfg.c_str(), "-o", nullptr);
      _exit(127);
    }
    /* Up when its WebSocket port accepts a connection and the Admin API
     * (the last transport to start) answers: a SIGTERM before then was
     * seen to leave Janus hanging in its shutdown. */
    auto deadline = std::chrono::steady_clock::now() + kWait;
    while (std::chrono::steady_clock::now() < deadline) {
      if (port_open() && admin_ok("\"janus\":\"get_status\""))
        return true;
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      g_usleep(20000);
    }
    return false;
  }
  void stop() {
    if (pid_ <= 0)
      return;
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    /* Gone when the port refuses. */
    while (port_open())
      g_usleep(20000);
  }
  ~Janus() {
    stop();
    if (!config_.empty()) {
      for (const char *f : kConfigFiles)
        g_remove((config_ + "/" + f).c_str());
      g_remove((config_ + "/" + kVariant).c_str());
      g_rmdir(config_.c_str());
    }
  }

 private:
  static constexpr const char *kVariant = "janus-variant.jcfg";
  static constexpr const char *kConfigFiles[]
      = {"janus.jcfg", "janus.plugin.videoroom.jcfg",
          "janus.transport.websockets.jcfg", "janus.transport.http.jcfg"};

  /* A copy of tests/janus/config with secure WebSockets on port 8989 too
   * (the relay tests' self-signed certificate, GWS_JANUS_CERT_DIR). */
  bool prepare_config() {
    if (!config_.empty())
      return true;
    const char *src = g_getenv("GWS_JANUS_CONFIG");
    const char *certs = g_getenv("GWS_JANUS_CERT_DIR");
    if (!src || !certs)
      return false;
    g_autofree gchar *dir = g_dir_make_tmp("gws-janus-XXXXXX", nullptr);
    if (!dir)
      return false;
    config_ = dir;
    for (const char *f : kConfigFiles) {
      g_autofree gchar *text = nullptr;
      if (!g_file_get_contents(
              (std::string(src) + "/" + f).c_str(), &text, nullptr, nullptr))
        return false;
      std::string out = text;
      if (std::string(f) == "janus.transport.websockets.jcfg") {
        auto pos = out.find("wss = false");
        if (pos != std::string::npos)
          out.replace(pos, 11, "wss = true\n\twss_port = 8989");
        out += std::string("certificates: {\n\tcert_pem = \"") + certs
               + "/test-cert.pem\"\n\tcert_key = \"" + certs
               + "/test-key.pem\"\n}\n";
      }
      if (!g_file_set_contents(
              (config_ + "/" + f).c_str(), out.c_str(), -1, nullptr))
        return false;
    }
    return true;
  }

  std::string config_;
  static bool port_open() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(kJanusPort);
    inet_pton(AF_INET, kJanusAddress, &a.sin_addr);
    bool ok = connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof(a)) == 0;
    close(fd);
    return ok;
  }
  pid_t pid_ = -1;
};

Janus *janus = nullptr;

/* A pipeline and what its bus said. */
class Pipe {
 public:
  explicit Pipe(const std::string &desc) {
    GError *error = nullptr;
    pipeline_ = gst_parse_launch(desc.c_str(), &error);
    EXPECT_NE(pipeline_, nullptr)
        << desc << ": " << (error ? error->message : "");
    g_clear_error(&error);
    if (!pipeline_)
      return;
    if (!GST_IS_PIPELINE(pipeline_)) {
      GstElement *pipe = gst_pipeline_new(nullptr);
      gst_bin_add(GST_BIN(pipe), pipeline_);
      pipeline_ = pipe;
    }
    GstBus *bus = gst_element_get_bus(pipeline_);
    gst_bus_set_sync_handler(bus, on_bus, this, nullptr);
    gst_object_unref(bus);
  }
  ~Pipe() {
    if (!pipeline_)
      return;
    gst_element_set_state(pipeline_, GST_STATE_NULL);
    GstBus *bus = gst_element_get_bus(pipeline_);
    gst_bus_set_sync_handler(bus, nullptr, nullptr, nullptr);
    gst_object_unref(bus);
    gst_object_unref(pipeline_);
  }
  GstElement *get() { return pipeline_; }
  bool play() {
    return pipeline_
           && gst_element_set_state(pipeline_, GST_STATE_PLAYING)
                  != GST_STATE_CHANGE_FAILURE;
  }

  /* Counts decoded buffers of a webrtcsrc named @name, per kind. */
  void count_outputs(const char *name) {
    GstElement *src = gst_bin_get_by_name(GST_BIN(pipeline_), name);
    g_signal_connect(src, "pad-added", G_CALLBACK(on_pad_added), this);
    gst_object_unref(src);
  }

  /* Waits until @pred holds (called with the lock held). */
  template <typename P> bool wait(P pred) {
    std::unique_lock<std::mutex> g(lock_);
    return cond_.wait_for(g, kWait, [&]() { return pred(); });
  }
  /* For what must NOT happen: whether an error or @event comes within @d
   * (a slow machine can only make this miss a regression, never fail a
   * good run). */
  bool error_or_event_within(
      std::chrono::milliseconds d, const std::string &event) {
    std::unique_lock<std::mutex> g(lock_);
    return cond_.wait_for(
        g, d, [&]() { return !errors_.empty() || events_[event] > 0; });
  }
  /* The last "gws-janus-event" message of @event, as text. */
  std::string last(const std::string &event) {
    std::lock_guard<std::mutex> g(lock_);
    return last_[event];
  }
  bool wait_event(const std::string &event, int n = 1) {
    return wait([&]() { return events_[event] >= n; });
  }
  bool wait_frames(const std::string &kind, int n) {
    return wait([&]() { return frames_[kind] >= n; });
  }
  bool wait_warning(const std::string &text) {
    return wait([&]() { return warnings_.find(text) != std::string::npos; });
  }
  bool wait_error() {
    return wait([&]() { return !errors_.empty(); });
  }
  bool wait_eos() {
    return wait([&]() { return eos_; });
  }
  int error_count() {
    std::lock_guard<std::mutex> g(lock_);
    return static_cast<int>(errors_.size());
  }
  bool got_eos() {
    std::lock_guard<std::mutex> g(lock_);
    return eos_;
  }
  int events(const std::string &event) {
    std::lock_guard<std::mutex> g(lock_);
    return events_[event];
  }
  int frames(const std::string &kind) {
    std::lock_guard<std::mutex> g(lock_);
    return frames_[kind];
  }
  std::string errors() {
    std::lock_guard<std::mutex> g(lock_);
    std::string all;
    for (auto &e : errors_)
      all += e + "\n";
    return all;
  }
  /* media events with receiving=true, by type */
  int media(const std::string &type) {
    std::lock_guard<std::mutex> g(lock_);
    return media_[type];
  }

 private:
  static GstBusSyncReply on_bus(GstBus *, GstMessage *msg, gpointer data) {
    auto *self = static_cast<Pipe *>(data);
    std::lock_guard<std::mutex> g(self->lock_);
    switch (GST_MESSAGE_TYPE(msg)) {
      case GST_MESSAGE_ERROR: {
        GError *err = nullptr;
        gst_message_parse_error(msg, &err, nullptr);
        self->errors_.push_back(err->message);
        g_error_free(err);
        break;
      }
      case GST_MESSAGE_WARNING: {
        GError *err = nullptr;
        gst_message_parse_warning(msg, &err, nullptr);
        self->warnings_ += std::string(err->message) + "\n";
        g_error_free(err);
        break;
      }
      case GST_MESSAGE_EOS:
        self->eos_ = true;
        break;
      case GST_MESSAGE_ELEMENT: {
        const GstStructure *s = gst_message_get_structure(msg);
        if (s && gst_structure_has_name(s, "gws-janus-event")) {
          std::string event = gst_structure_get_string(s, "event");
          self->events_[event]++;
          g_autofree gchar *text = gst_structure_to_string(s);
          self->last_[event] = text;
          gboolean receiving = FALSE;
          if (event == "media"
              && gst_structure_get_boolean(s, "receiving", &receiving)
              && receiving)
            self->media_[gst_structure_get_string(s, "type")]++;
        }
        break;
      }
      default:
        break;
    }
    self->cond_.notify_all();
    return GST_BUS_DROP;
  }

  static GstPadProbeReturn on_buffer(
      GstPad *pad, GstPadProbeInfo *, gpointer data) {
    auto *self = static_cast<Pipe *>(data);
    GstCaps *caps = gst_pad_get_current_caps(pad);
    if (!caps)
      return GST_PAD_PROBE_OK;
    std::string name = gst_structure_get_name(gst_caps_get_structure(caps, 0));
    gst_caps_unref(caps);
    std::lock_guard<std::mutex> g(self->lock_);
    self->frames_[name.rfind("video/", 0) == 0 ? "video" : "audio"]++;
    self->cond_.notify_all();
    return GST_PAD_PROBE_OK;
  }

  static void on_pad_added(GstElement *, GstPad *pad, gpointer data) {
    auto *self = static_cast<Pipe *>(data);
    GstElement *q = gst_element_factory_make("queue", nullptr);
    GstElement *sink = gst_element_factory_make("fakesink", nullptr);
    g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
    gst_bin_add_many(GST_BIN(self->pipeline_), q, sink, nullptr);
    gst_element_link(q, sink);
    GstPad *sinkpad = gst_element_get_static_pad(sink, "sink");
    gst_pad_add_probe(
        sinkpad, GST_PAD_PROBE_TYPE_BUFFER, on_buffer, self, nullptr);
    gst_object_unref(sinkpad);
    gst_element_sync_state_with_parent(sink);
    gst_element_sync_state_with_parent(q);
    GstPad *qpad = gst_element_get_static_pad(q, "sink");
    gst_pad_link(pad, qpad);
    gst_object_unref(qpad);
  }

  GstElement *pipeline_ = nullptr;
  std::mutex lock_;
  std::condition_variable cond_;
  std::vector<std::string> errors_;
  std::string warnings_;
  std::map<std::string, int> events_;
  std::map<std::string, std::string> last_;
  std::map<std::string, int> media_;
  std::map<std::string, int> frames_;
  bool eos_ = false;
};

/* A publisher of video (every codec webrtcsink has, unless @video_codecs
 * says which) and Opus. */
std::string
publisher(const std::string &query, const std::string &video_codecs = {},
    bool audio = true) {
  return "videotestsrc is-live=true ! video/x-raw,width=320,height=240,"
         "framerate=30/1 ! sink.video_0 "
         + std::string(audio ? "audiotestsrc is-live=true ! sink.audio_0 " : "")
         + "webrtcsink name=sink ice-addresses=" + std::string(kOurAddress)
         + " uri=\"" + janus_uri(query) + "\""
         + (video_codecs.empty() ? ""
                                 : " video-codecs=\"" + video_codecs + "\"");
}

std::string
subscriber(const std::string &query, int wait_timeout = 20) {
  return "webrtcsrc name=src ice-addresses=" + std::string(kOurAddress)
         + " wait-timeout=" + std::to_string(wait_timeout) + " uri=\""
         + janus_uri(query) + "\"";
}

} // namespace

/* (1) webrtcsink publishes into Janus: Janus reports the PeerConnection up
 * and receiving both media. */
TEST(JanusPublish, JanusReceivesVideoAndAudio) {
  Pipe pub(publisher("room=1234&display=pub-only"));
  ASSERT_TRUE(pub.play());
  ASSERT_TRUE(pub.wait_event("joined")) << pub.errors();
  ASSERT_TRUE(pub.wait_event("webrtcup")) << pub.errors();
  EXPECT_TRUE(pub.wait_event("media", 2)) << pub.errors();
  EXPECT_GE(pub.media("video"), 1);
  EXPECT_GE(pub.media("audio"), 1);
  EXPECT_EQ(pub.errors(), "");
}

/* What we send, told to Janus: publishing H264 only (video-codecs=<H264>)
 * with ?bitrate=, Janus's own view of the publisher (Admin API
 * handle_info) has that bitrate cap and the codecs we offered. */
TEST(JanusPublish, TellsJanusCodecAndBitrate) {
  Pipe pub(publisher("room=1236&display=told&bitrate=256000", "<H264>"));
  ASSERT_TRUE(pub.play());
  ASSERT_TRUE(pub.wait_event("webrtcup")) << pub.errors();
  std::string info = participant_info("told");
  EXPECT_NE(info.find("\"bitrate\":256000"), std::string::npos) << info;
  EXPECT_NE(info.find("\"codec\":\"h264\""), std::string::npos) << info;
  EXPECT_NE(info.find("\"codec\":\"opus\""), std::string::npos) << info;
}

/* (2) webrtcsink -> Janus -> webrtcsrc, VP8 + Opus, the subscriber finding
 * the publisher by display name. */
TEST(JanusSubscribe, Vp8AndOpusByDisplayName) {
  Pipe pub(publisher("room=1234&display=cam-vp8"));
  ASSERT_TRUE(pub.play());
  ASSERT_TRUE(pub.wait_event("webrtcup")) << pub.errors();
  Pipe sub(subscriber("room=1234&display=cam-vp8"));
  sub.count_outputs("src");
  ASSERT_TRUE(sub.play());
  EXPECT_TRUE(sub.wait_frames("video", 15)) << sub.errors();
  EXPECT_TRUE(sub.wait_frames("audio", 15)) << sub.errors();
  EXPECT_GE(sub.events("attached"), 1);
  EXPECT_EQ(sub.errors(), "");
}

/* A publisher whose input goes away mid-stream (its audio pad released):
 * webrtcsink renegotiates, the signaller sends Janus the new offer in a
 * `configure` (before: a second `publish`, which Janus refuses with 434,
 * and the session ended), Janus answers, and the subscriber keeps playing
 * the video. No error on either side, no restart, no new session. (Janus
 * 1.1.2 tells the room's publishers, not the subscribers, so no `updated`
 * offer comes here.) */
TEST(JanusRenegotiation, PublisherDropsItsAudio) {
  Pipe pub(publisher("room=1234&display=drops-audio"));
  ASSERT_TRUE(pub.play());
  ASSERT_TRUE(pub.wait_event("webrtcup")) << pub.errors();
  Pipe sub(subscriber("room=1234&display=drops-audio"));
  sub.count_outputs("src");
  ASSERT_TRUE(sub.play());
  ASSERT_TRUE(sub.wait_frames("video", 15)) << sub.errors();
  ASSERT_TRUE(sub.wait_frames("audio", 15)) << sub.errors();

  GstElement *sink = gst_bin_get_by_name(GST_BIN(pub.get()), "sink");
  ASSERT_NE(sink, nullptr);
  GstPad *pad = gst_element_get_static_pad(sink, "audio_0");
  ASSERT_NE(pad, nullptr);
  GstPad *peer = gst_pad_get_peer(pad);
  ASSERT_NE(peer, nullptr);
  GstElement *asrc = gst_pad_get_parent_element(peer);
  gst_element_set_locked_state(asrc, TRUE);
  gst_element_set_state(asrc, GST_STATE_NULL);
  gst_pad_unlink(peer, pad);
  gst_bin_remove(GST_BIN(pub.get()), asrc);
  gst_element_release_request_pad(sink, pad);
  gst_object_unref(asrc);
  gst_object_unref(peer);
  gst_object_unref(pad);
  gst_object_unref(sink);

  EXPECT_TRUE(pub.wait_event("configured", 2)) << pub.errors();
  int video = sub.frames("video");
  EXPECT_TRUE(sub.wait_frames("video", video + 30)) << sub.errors();
  EXPECT_EQ(pub.events("joined"), 1);
  EXPECT_EQ(sub.events("attached"), 1);
  EXPECT_FALSE(sub.got_eos());
  EXPECT_EQ(pub.errors(), "");
  EXPECT_EQ(sub.errors(), "");
}

/* The other way: an input added to a running publisher (video first,
 * audio requested and linked later) reaches Janus by renegotiation: Janus
 * answers the `configure` and lists an audio stream for the publisher. */
TEST(JanusRenegotiation, PublisherAddsAudio) {
  Pipe pub(publisher("room=1234&display=adds-audio", {}, false));
  ASSERT_TRUE(pub.play());
  ASSERT_TRUE(pub.wait_event("webrtcup")) << pub.errors();
  EXPECT_EQ(participant_info("adds-audio").find("\"type\":\"audio\""),
      std::string::npos);

  GstElement *asrc = gst_parse_bin_from_description(
      "audiotestsrc is-live=true ! queue", TRUE, nullptr);
  ASSERT_NE(asrc, nullptr);
  gst_bin_add(GST_BIN(pub.get()), asrc);
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pub.get()), "sink");
  GstPad *pad = gst_element_request_pad_simple(sink, "audio_%u");
  ASSERT_NE(pad, nullptr);
  GstPad *src = gst_element_get_static_pad(asrc, "src");
  EXPECT_EQ(gst_pad_link(src, pad), GST_PAD_LINK_OK);
  gst_element_sync_state_with_parent(asrc);
  gst_object_unref(src);
  gst_object_unref(pad);
  gst_object_unref(sink);

  EXPECT_TRUE(pub.wait_event("configured", 2)) << pub.errors();
  std::string info;
  for (int i = 0; i < 50; i++) { /* Janus applies the answer's streams */
    info = participant_info("adds-audio");
    if (info.find("\"type\":\"audio\"") != std::string::npos)
      break;
    g_usleep(100000);
  }
  EXPECT_NE(info.find("\"type\":\"audio\""), std::string::npos) << info;
  EXPECT_EQ(pub.events("joined"), 1);
  EXPECT_EQ(pub.errors(), "");
}

/* H264 in a room configured for H264, the subscriber naming the feed id. */
TEST(JanusSubscribe, H264ByFeedId) {
  Pipe pub(publisher("room=1236&display=cam-h264&feed=4242", "<H264>"));
  ASSERT_TRUE(pub.play());
  ASSERT_TRUE(pub.wait_event("webrtcup")) << pub.errors();
  Pipe sub(subscriber("room=1236&feed=4242"));
  sub.count_outputs("src");
  ASSERT_TRUE(sub.play());
  EXPECT_TRUE(sub.wait_frames("video", 15)) << sub.errors();
  EXPECT_TRUE(sub.wait_frames("audio", 15)) << sub.errors();
  EXPECT_EQ(sub.errors(), "");
}

/* (3) The subscriber starts first and waits for the publisher. */
TEST(JanusSubscribe, WaitsForThePublisher) {
  Pipe sub(subscriber("room=1234&display=late-cam"));
  sub.count_outputs("src");
  ASSERT_TRUE(sub.play());
  Pipe pub(publisher("room=1234&display=late-cam"));
  ASSERT_TRUE(pub.play());
  EXPECT_TRUE(sub.wait_frames("video", 15)) << sub.errors() << pub.errors();
  EXPECT_EQ(sub.errors(), "");
}

/* The subscriber starts before the room exists (and warns that it waits
 * for it); a publisher with create=true makes it; the subscriber looks
 * again (within its wait-timeout) and plays it. */
TEST(JanusSubscribe, WaitsForTheRoomToBeCreated) {
  Pipe sub(subscriber("room=7003&display=early-bird"));
  sub.count_outputs("src");
  ASSERT_TRUE(sub.play());
  ASSERT_TRUE(sub.wait_warning("no Janus room 7003")) << sub.errors();
  Pipe pub(
      publisher("room=7003&create=true&secret=gwsadmin&display=early-bird"));
  ASSERT_TRUE(pub.play());
  EXPECT_TRUE(sub.wait_frames("video", 15)) << sub.errors() << pub.errors();
  EXPECT_EQ(sub.errors(), "");
}

/* The publisher going away ends a subscriber that named its feed id
 * cleanly (EOS, no error). */
TEST(JanusSubscribe, PublisherLeavingIsEos) {
  auto pub
      = std::make_unique<Pipe>(publisher("room=1234&display=leaver&feed=5151"));
  ASSERT_TRUE(pub->play());
  ASSERT_TRUE(pub->wait_event("webrtcup")) << pub->errors();
  Pipe sub(subscriber("room=1234&feed=5151"));
  sub.count_outputs("src");
  ASSERT_TRUE(sub.play());
  ASSERT_TRUE(sub.wait_frames("video", 10)) << sub.errors();
  pub.reset();
  EXPECT_TRUE(sub.wait_eos()) << sub.errors();
  EXPECT_EQ(sub.errors(), "");
}

/* A subscriber following a display name plays the publisher again when it
 * republishes under a new feed id: no EOS, no error, frames resume. */
TEST(JanusSubscribe, FollowsARepublishByDisplayName) {
  auto pub = std::make_unique<Pipe>(publisher("room=1234&display=phoenix"));
  ASSERT_TRUE(pub->play());
  Pipe sub(subscriber("room=1234&display=phoenix"));
  sub.count_outputs("src");
  ASSERT_TRUE(sub.play());
  ASSERT_TRUE(sub.wait_frames("video", 10)) << sub.errors();
  pub.reset();
  ASSERT_TRUE(sub.wait_event("unpublished")) << sub.errors();
  int before = sub.frames("video");
  pub = std::make_unique<Pipe>(publisher("room=1234&display=phoenix"));
  ASSERT_TRUE(pub->play());
  EXPECT_TRUE(sub.wait_event("attached", 2)) << sub.errors();
  EXPECT_TRUE(sub.wait_frames("video", before + 15)) << sub.errors();
  EXPECT_EQ(sub.errors(), "");
  EXPECT_FALSE(sub.got_eos());
}

TEST(JanusErrors, WrongRoom) {
  Pipe pub(publisher("room=4321"));
  ASSERT_TRUE(pub.play());
  ASSERT_TRUE(pub.wait_error());
  EXPECT_NE(pub.errors().find("no Janus room 4321"), std::string::npos)
      << pub.errors();
}

/* A subscriber in a room that never appears: after its wait-timeout, the
 * same clear error. */
TEST(JanusErrors, WrongRoomSubscriber) {
  Pipe sub(subscriber("room=4321&display=anyone", 1));
  ASSERT_TRUE(sub.play());
  ASSERT_TRUE(sub.wait_error());
  EXPECT_NE(sub.errors().find("no Janus room 4321"), std::string::npos)
      << sub.errors();
}

TEST(JanusErrors, WrongPin) {
  Pipe pub(publisher("room=1235&pin=9999"));
  ASSERT_TRUE(pub.play());
  ASSERT_TRUE(pub.wait_error());
  EXPECT_NE(pub.errors().find("wrong or missing pin"), std::string::npos)
      << pub.errors();
}

/* Janus refusing our offer (VP8 only into the H264 room): an element
 * error with Janus's reason and code, and the "error" element message
 * carrying both. */
TEST(JanusErrors, CodecRefused) {
  Pipe pub(publisher("room=1236&display=wrong-codec", "<VP8>"));
  ASSERT_TRUE(pub.play());
  ASSERT_TRUE(pub.wait_error());
  EXPECT_NE(pub.errors().find("Janus refused our session description"),
      std::string::npos)
      << pub.errors();
  EXPECT_NE(pub.errors().find("(Janus error "), std::string::npos)
      << pub.errors();
  ASSERT_TRUE(pub.wait_event("error"));
  std::string ev = pub.last("error");
  EXPECT_NE(ev.find("code=(int)"), std::string::npos) << ev;
  EXPECT_NE(ev.find("reason=(string)"), std::string::npos) << ev;
}

TEST(JanusErrors, RightPinPublishes) {
  Pipe pub(publisher("room=1235&pin=1111&display=pinned"));
  ASSERT_TRUE(pub.play());
  EXPECT_TRUE(pub.wait_event("webrtcup")) << pub.errors();
}

/* A feed that never appears: after wait-timeout, an error naming it. */
TEST(JanusErrors, FeedNeverAppears) {
  Pipe sub(subscriber("room=1234&display=nobody", 1));
  ASSERT_TRUE(sub.play());
  ASSERT_TRUE(sub.wait_error());
  EXPECT_NE(sub.errors().find("no publisher \"nobody\" in Janus room 1234"),
      std::string::npos)
      << sub.errors();
}

/* Room creation for quick starts: create=true with the room secret. */
TEST(JanusPublish, CreatesTheRoom) {
  Pipe pub(publisher("room=7777&create=true&secret=gwsadmin&display=new"));
  ASSERT_TRUE(pub.play());
  EXPECT_TRUE(pub.wait_event("webrtcup")) << pub.errors();
}

/* janus+wss:// with a self-signed certificate, checked (the default): an
 * error saying what to do. Runs before the case that accepts it: in one
 * process, a TLS session to the same server that was accepted once with
 * tls-validation=false was seen resumed by a later connection without the
 * check (glib-networking's session cache), so this order matters. */
TEST(JanusTls, UntrustedCertificateIsAnError) {
  Pipe pub("videotestsrc is-live=true ! sink.video_0 webrtcsink name=sink "
           "uri=\"janus+wss://"
           + std::string(kJanusAddress) + ":8989/?room=1234\"");
  ASSERT_TRUE(pub.play());
  ASSERT_TRUE(pub.wait_error());
  EXPECT_NE(pub.errors().find("is not trusted"), std::string::npos)
      << pub.errors();
}

/* janus+wss://: TLS to Janus's secure WebSocket port, the self-signed
 * certificate accepted with tls-validation=false. */
TEST(JanusTls, PublishesOverWss) {
  Pipe pub("videotestsrc is-live=true ! video/x-raw,width=320,height=240 ! "
           "sink.video_0 webrtcsink name=sink ice-addresses="
           + std::string(kOurAddress) + " uri=\"janus+wss://" + kJanusAddress
           + ":8989/?room=1234&display=tls-cam\" "
             "signaller::tls-validation=false");
  ASSERT_TRUE(pub.play());
  EXPECT_TRUE(pub.wait_event("webrtcup")) << pub.errors();
  EXPECT_EQ(pub.errors(), "");
}

/* Janus hangs up the publisher's PeerConnection (Admin API hangup_webrtc)
 * while it stays in the room: the signaller asks webrtcsink for a new
 * session and media flows again. */
TEST(JanusHangup, PublisherPublishesAgain) {
  Pipe pub(publisher("room=1234&display=hung"));
  ASSERT_TRUE(pub.play());
  ASSERT_TRUE(pub.wait_event("webrtcup")) << pub.errors();
  ASSERT_GE(hang_up_everything(), 1);
  ASSERT_TRUE(pub.wait_event("hangup")) << pub.errors();
  EXPECT_TRUE(pub.wait_event("republishing")) << pub.errors();
  EXPECT_TRUE(pub.wait_event("webrtcup", 2)) << pub.errors();
  EXPECT_EQ(pub.errors(), "");
}

/* The room destroyed (the VideoRoom "destroy" request, through the Admin
 * API) under a publisher and a subscriber naming its feed id: the
 * publisher is told ("destroyed") and stops, with no error and no attempt
 * to publish again; the subscriber ends with EOS, no error. */
TEST(JanusDestroyed, EndsPublisherAndSubscriberCleanly) {
  Pipe pub(publisher(
      "room=7001&create=true&secret=gwsadmin&display=doomed&feed=7101"));
  ASSERT_TRUE(pub.play());
  ASSERT_TRUE(pub.wait_event("webrtcup")) << pub.errors();
  Pipe sub(subscriber("room=7001&feed=7101"));
  sub.count_outputs("src");
  ASSERT_TRUE(sub.play());
  ASSERT_TRUE(sub.wait_frames("video", 10)) << sub.errors();
  ASSERT_TRUE(videoroom_admin(
      "{\"request\":\"destroy\",\"room\":7001,\"secret\":\"gwsadmin\"}"));
  EXPECT_TRUE(pub.wait_event("destroyed")) << pub.errors();
  EXPECT_TRUE(sub.wait_eos()) << sub.errors();
  EXPECT_EQ(sub.errors(), "");
  /* Publishing again would fail (no such room) after the backoff. */
  EXPECT_FALSE(
      pub.error_or_event_within(std::chrono::seconds(3), "republishing"))
      << pub.errors();
}

/* A subscriber following a display name when the room is destroyed: no
 * error, no EOS; it says "destroyed" and waits, and plays the publisher
 * again once that creates the room again (create=true) and publishes. */
TEST(JanusDestroyed, FollowerWaitsForTheRoomToComeBack) {
  const std::string room
      = "room=7002&create=true&secret=gwsadmin&display=phoenix2";
  auto pub = std::make_unique<Pipe>(publisher(room));
  ASSERT_TRUE(pub->play());
  ASSERT_TRUE(pub->wait_event("webrtcup")) << pub->errors();
  Pipe sub(subscriber("room=7002&display=phoenix2"));
  sub.count_outputs("src");
  ASSERT_TRUE(sub.play());
  ASSERT_TRUE(sub.wait_frames("video", 10)) << sub.errors();
  ASSERT_TRUE(videoroom_admin(
      "{\"request\":\"destroy\",\"room\":7002,\"secret\":\"gwsadmin\"}"));
  ASSERT_TRUE(sub.wait_event("destroyed")) << sub.errors();
  ASSERT_TRUE(pub->wait_event("destroyed")) << pub->errors();
  EXPECT_EQ(pub->errors(), "");
  int before = sub.frames("video");
  pub = std::make_unique<Pipe>(publisher(room));
  ASSERT_TRUE(pub->play());
  EXPECT_TRUE(sub.wait_event("attached", 2)) << sub.errors();
  EXPECT_TRUE(sub.wait_frames("video", before + 15)) << sub.errors();
  EXPECT_EQ(sub.errors(), "");
  EXPECT_FALSE(sub.got_eos());
}

/* Keepalives hold the Janus session: with Janus's session timeout cut to
 * 4 s (Admin API set_session_timeout), a publisher that sends none is timed
 * out (our "timeout" event) and joins again, while one sending them every
 * second keeps its first session. */
TEST(JanusKeepalive, KeepsTheSessionAlive) {
  struct Restore {
    ~Restore() { admin_ok("\"janus\":\"set_session_timeout\",\"timeout\":60"); }
  } restore;
  ASSERT_TRUE(admin_ok("\"janus\":\"set_session_timeout\",\"timeout\":4"));
  Pipe kept(publisher("room=1234&display=ka-on")
            + " signaller::keepalive-interval=1");
  Pipe idle(publisher("room=1234&display=ka-off")
            + " signaller::keepalive-interval=0");
  ASSERT_TRUE(kept.play());
  ASSERT_TRUE(idle.play());
  ASSERT_TRUE(kept.wait_event("webrtcup")) << kept.errors();
  ASSERT_TRUE(idle.wait_event("timeout")) << idle.errors();
  EXPECT_TRUE(idle.wait_event("joined", 2)) << idle.errors();
  EXPECT_EQ(kept.events("timeout"), 0);
  EXPECT_EQ(kept.events("disconnected"), 0);
  EXPECT_EQ(kept.events("joined"), 1);
  EXPECT_EQ(kept.errors(), "");
}

/* Losses on the way to Janus: with Janus's slowlink threshold at one lost
 * packet (Admin API set_slowlink_threshold) and our uplink squeezed (tbf
 * on our veth drops what exceeds 64 kbit/s), Janus reports "slowlink",
 * which the publisher posts as an element message with its details. */
TEST(JanusSlowlink, LossesAreReported) {
  struct Restore {
    ~Restore() {
      admin_ok("\"janus\":\"set_slowlink_threshold\",\"slowlink_threshold\":0");
      run({"tc", "qdisc", "del", "dev", "gwsjv1", "root"});
    }
  } restore;
  ASSERT_TRUE(admin_ok(
      "\"janus\":\"set_slowlink_threshold\",\"slowlink_threshold\":1"));
  Pipe pub(publisher("room=1234&display=lossy"));
  ASSERT_TRUE(pub.play());
  ASSERT_TRUE(pub.wait_event("webrtcup")) << pub.errors();
  ASSERT_TRUE(run({"tc", "qdisc", "add", "dev", "gwsjv1", "root", "tbf", "rate",
      "64kbit", "burst", "1600", "latency", "20ms"}));
  ASSERT_TRUE(pub.wait_event("slowlink")) << pub.errors();
  std::string ev = pub.last("slowlink");
  EXPECT_NE(ev.find("lost=(gint64)"), std::string::npos) << ev;
  EXPECT_EQ(ev.find("lost=(gint64)0,"), std::string::npos) << ev;
  EXPECT_NE(ev.find("type=(string)"), std::string::npos) << ev;
}

/* Janus restarted with token_auth and full_trickle. Without ?token= the
 * publisher is refused with an error saying what to set; with a token
 * added through the Admin API (add_token) it publishes and a subscriber
 * with the token plays it. With full trickle Janus's descriptions carry no
 * candidates (they all come as trickle messages), so media flowing both
 * ways through Janus proves we take its trickled candidates; the other
 * cases run with Janus's default (candidates in the description). */
TEST(JanusTokenAndTrickle, TokenRequiredAndFullTrickle) {
  struct Restore {
    ~Restore() {
      janus->stop();
      EXPECT_TRUE(janus->start());
    }
  } restore;
  janus->stop();
  ASSERT_TRUE(janus->start(
      {{"general", "token_auth = true"}, {"nat", "full_trickle = true"}}));
  ASSERT_TRUE(admin_ok("\"janus\":\"add_token\",\"token\":\"gwstoken\","
                       "\"plugins\":[\"janus.plugin.videoroom\"]"));
  {
    Pipe refused(publisher("room=1234&display=no-token"));
    ASSERT_TRUE(refused.play());
    ASSERT_TRUE(refused.wait_error());
    EXPECT_NE(refused.errors().find("(set ?token=)"), std::string::npos)
        << refused.errors();
  }
  Pipe pub(publisher("room=1234&display=tokened&token=gwstoken"));
  ASSERT_TRUE(pub.play());
  ASSERT_TRUE(pub.wait_event("webrtcup")) << pub.errors();
  Pipe sub(subscriber("room=1234&display=tokened&token=gwstoken"));
  sub.count_outputs("src");
  ASSERT_TRUE(sub.play());
  EXPECT_TRUE(sub.wait_frames("video", 15)) << sub.errors();
  EXPECT_TRUE(sub.wait_frames("audio", 15)) << sub.errors();
  EXPECT_EQ(sub.errors(), "");
  EXPECT_EQ(pub.errors(), "");
}

/* The scripts in pipelines/ (docs/janus.md): janus-publish.sh publishes
 * its test pattern and tone, janus-play.sh plays them by display name
 * (headless: fakesinks that end after 30 buffers each, so the script exits
 * with 0 once both media arrived). `timeout` only bounds a hang. */
TEST(JanusPipelines, PublishAndPlayScripts) {
  const char *dir = g_getenv("GWS_PIPELINES_DIR");
  ASSERT_NE(dir, nullptr) << "GWS_PIPELINES_DIR (set by meson)";
  std::string uri = janus_uri("room=1234&display=script-cam");
  std::string publish = std::string(dir) + "/janus-publish.sh";
  std::string play = std::string(dir) + "/janus-play.sh";
  gchar **env = g_get_environ();
  env = g_environ_setenv(env, "ICE_ADDRESSES", kOurAddress, TRUE);
  env = g_environ_setenv(env, "VIDEO_SINK", "fakesink num-buffers=30", TRUE);
  env = g_environ_setenv(env, "AUDIO_SINK", "fakesink num-buffers=30", TRUE);
  const char *pub_argv[] = {"sh", publish.c_str(), uri.c_str(), nullptr};
  GPid pub = 0;
  ASSERT_TRUE(g_spawn_async(nullptr, const_cast<gchar **>(pub_argv), env,
      static_cast<GSpawnFlags>(G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD
                               | G_SPAWN_STDOUT_TO_DEV_NULL),
      nullptr, nullptr, &pub, nullptr));
  const char *play_argv[]
      = {"timeout", "120", "sh", play.c_str(), uri.c_str(), nullptr};
  g_autofree gchar *out = nullptr;
  g_autofree gchar *err = nullptr;
  gint status = 0;
  bool spawned = g_spawn_sync(nullptr, const_cast<gchar **>(play_argv), env,
      G_SPAWN_SEARCH_PATH, nullptr, nullptr, &out, &err, &status, nullptr);
  kill(pub, SIGINT);
  int pub_status = 0;
  waitpid(pub, &pub_status, 0);
  g_spawn_close_pid(pub);
  g_strfreev(env);
  ASSERT_TRUE(spawned);
  EXPECT_TRUE(g_spawn_check_wait_status(status, nullptr))
      << "janus-play.sh: " << (out ? out : "") << (err ? err : "");
  EXPECT_NE(std::string(out ? out : "").find("EOS"), std::string::npos)
      << (out ? out : "");
}

/* (4) Janus restarted mid-stream: the publisher reconnects and publishes
 * again; a new subscriber plays it. Mid-stream: once Janus receives both
 * media, not at its "webrtcup" (in one CI run of ~5, Janus stopped ~40 ms
 * after our offer, perhaps before our side of the handshake ended; the
 * publisher then never offered again and its pipeline did not reach NULL:
 * not reproduced in 30 runs alone; docs/janus.md "Not done yet"). */
TEST(JanusRestart, PublisherRepublishes) {
  Pipe pub(publisher("room=1234&display=survivor"));
  ASSERT_TRUE(pub.play());
  ASSERT_TRUE(pub.wait_event("webrtcup")) << pub.errors();
  ASSERT_TRUE(pub.wait_event("media", 2)) << pub.errors();
  janus->stop();
  ASSERT_TRUE(pub.wait_event("disconnected"));
  ASSERT_TRUE(janus->start());
  ASSERT_TRUE(pub.wait_event("webrtcup", 2)) << pub.errors();
  Pipe sub(subscriber("room=1234&display=survivor"));
  sub.count_outputs("src");
  ASSERT_TRUE(sub.play());
  EXPECT_TRUE(sub.wait_frames("video", 15)) << sub.errors();
  EXPECT_EQ(pub.errors(), "");
}

/* Janus lost during the publisher's first handshake, at points from its
 * `joined` (our offer goes out right after) to its `webrtcup` (ICE and
 * DTLS done on its side, perhaps not yet on ours): the publisher joins the
 * Janus that comes back and publishes again, and the pipeline still stops.
 * GWS_JANUS_HANDSHAKE_POINTS="joined+0,joined+20,..." tries others (each
 * point a Janus event and a delay in ms after it). A hang of this kind was
 * seen once in CI (docs/janus.md); 41 runs of these points here had none. */
TEST(JanusRestart, LostDuringHandshake) {
  std::vector<std::pair<std::string, int>> points
      = {{"joined", 0}, {"joined", 40}, {"webrtcup", 0}};
  if (const char *env = g_getenv("GWS_JANUS_HANDSHAKE_POINTS")) {
    points.clear();
    g_auto(GStrv) parts = g_strsplit(env, ",", -1);
    for (gchar **q = parts; *q; q++) {
      const char *plus = strchr(*q, '+');
      points.emplace_back(std::string(*q, plus ? plus - *q : strlen(*q)),
          plus ? atoi(plus + 1) : 0);
    }
  }
  for (auto &[after, d] : points) {
    SCOPED_TRACE("Janus stopped " + std::to_string(d) + " ms after " + after);
    auto t0 = std::chrono::steady_clock::now();
    {
      Pipe pub(publisher("room=1234&display=handshake"));
      ASSERT_TRUE(pub.play());
      ASSERT_TRUE(pub.wait_event(after)) << pub.errors();
      g_usleep(static_cast<gulong>(d) * 1000);
      janus->stop();
      ASSERT_TRUE(pub.wait_event("disconnected"));
      int up = pub.events("webrtcup");
      ASSERT_TRUE(janus->start());
      EXPECT_TRUE(pub.wait_event("joined", 2)) << pub.errors();
      EXPECT_TRUE(pub.wait_event("webrtcup", up + 1)) << pub.errors();
      EXPECT_EQ(pub.errors(), "");
    }
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - t0)
                  .count();
    printf("Janus stopped %d ms after %s: republished and stopped in %lld ms\n",
        d, after.c_str(), static_cast<long long>(ms));
    fflush(stdout);
  }
}

/* A subscriber following a display name across a Janus restart: it loses
 * the stream, reconnects, finds the publisher (which published again) and
 * plays it; no EOS, no error. */
TEST(JanusRestart, FollowingSubscriberPlaysAgain) {
  Pipe pub(publisher("room=1234&display=survivor2"));
  ASSERT_TRUE(pub.play());
  Pipe sub(subscriber("room=1234&display=survivor2"));
  sub.count_outputs("src");
  ASSERT_TRUE(sub.play());
  ASSERT_TRUE(sub.wait_frames("video", 10)) << sub.errors();
  janus->stop();
  ASSERT_TRUE(sub.wait_event("disconnected"));
  int before = sub.frames("video");
  ASSERT_TRUE(janus->start());
  EXPECT_TRUE(sub.wait_event("attached", 2)) << sub.errors();
  EXPECT_TRUE(sub.wait_frames("video", before + 15)) << sub.errors();
  EXPECT_FALSE(sub.got_eos());
  EXPECT_EQ(sub.errors(), "");
  EXPECT_EQ(pub.errors(), "");
}

/* The same in a room the publisher created (create=true): a restarted
 * Janus has forgotten it until the publisher creates it again, so the
 * subscriber, back first or not, may find no such room for a while; it
 * waits for it instead of failing, then plays again. */
TEST(JanusRestart, FollowerWaitsForACreatedRoom) {
  const std::string room
      = "room=7004&create=true&secret=gwsadmin&display=survivor3";
  Pipe pub(publisher(room));
  ASSERT_TRUE(pub.play());
  ASSERT_TRUE(pub.wait_event("webrtcup")) << pub.errors();
  Pipe sub(subscriber("room=7004&display=survivor3"));
  sub.count_outputs("src");
  ASSERT_TRUE(sub.play());
  ASSERT_TRUE(sub.wait_frames("video", 10)) << sub.errors();
  janus->stop();
  ASSERT_TRUE(sub.wait_event("disconnected"));
  int before = sub.frames("video");
  ASSERT_TRUE(janus->start());
  EXPECT_TRUE(sub.wait_event("attached", 2)) << sub.errors();
  EXPECT_TRUE(sub.wait_frames("video", before + 15)) << sub.errors();
  EXPECT_FALSE(sub.got_eos());
  EXPECT_EQ(sub.errors(), "");
  EXPECT_EQ(pub.errors(), "");
}

int
main(int argc, char **argv) {
  gst_init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  Janus j;
  if (!j.start()) {
    fprintf(stderr, "could not start Janus (GWS_JANUS_NS, GWS_JANUS_CONFIG "
                    "set by run-janus.sh?)\n");
    return 1;
  }
  janus = &j;
  int ret = RUN_ALL_TESTS();
  janus = nullptr;
  j.stop();
  return ret;
}
