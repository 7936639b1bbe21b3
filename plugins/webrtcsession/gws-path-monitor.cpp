/* gst-webrtc-session: path liveness (see gws-path-monitor.h). */
#include "gws-path-monitor.h"

#include "gws-local-addresses.h"
#include "gws-nice-api.h"
#include "gws-route-lookup.h"

#include <agent.h>

#include <algorithm>

GST_DEBUG_CATEGORY_STATIC(gws_path_debug);
#define GST_CAT_DEFAULT gws_path_debug

namespace gws {

namespace {

/* A GLib user-data holder keeping the monitor alive while a probe or a
 * signal handler can still run. */
struct Holder {
  std::shared_ptr<PathMonitor> monitor;
};

void
free_holder(gpointer data) {
  delete static_cast<Holder *>(data);
}

void
free_holder_closure(gpointer data, GClosure *) {
  free_holder(data);
}

} // namespace

std::shared_ptr<PathMonitor>
PathMonitor::attach(
    GstElement *webrtcbin, guint rtcp_interval_ms, guint learning_floor_ms) {
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    GST_DEBUG_CATEGORY_INIT(
        gws_path_debug, "gws-path", 0, "gst-webrtc-session path monitor");
    g_once_init_leave(&once, 1);
  }
  auto monitor = std::make_shared<PathMonitor>();
  GObject *ice = nullptr;
  g_object_get(webrtcbin, "ice-agent", &ice, nullptr);
  g_weak_ref_set(&monitor->ice_, ice);
  if (ice)
    g_object_unref(ice);
  monitor->rtcp_interval_ms_ = rtcp_interval_ms;
  monitor->learning_floor_ms_ = learning_floor_ms;
  monitor->name_ = GST_OBJECT_NAME(webrtcbin);
  g_signal_connect_data(webrtcbin, "deep-element-added",
      G_CALLBACK(+[](GstBin *, GstBin *, GstElement *element, gpointer data) {
        static_cast<Holder *>(data)->monitor->watch_element(element);
      }),
      new Holder{monitor}, free_holder_closure, GConnectFlags(0));
  /* Elements that exist already (none today, but cheap to be sure). */
  GstIterator *it = gst_bin_iterate_recurse(GST_BIN(webrtcbin));
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
    monitor->watch_element(GST_ELEMENT(g_value_get_object(&item)));
    g_value_reset(&item);
  }
  g_value_unset(&item);
  gst_iterator_free(it);
  return monitor;
}

NiceAgent *
PathMonitor::agent() const {
  /* Session thread only (check_path): dropping the last ref of the ICE
   * object here is safe. */
  GObject *ice = static_cast<GObject *>(g_weak_ref_get(&ice_));
  if (!ice)
    return nullptr;
  NiceAgent *agent = ice_nice_agent(ice);
  g_object_unref(ice);
  if (agent && !nice_api())
    g_clear_object(&agent);
  return agent;
}

std::string
PathMonitor::local_address(std::string *remote_address) const {
  NiceAgent *agent = this->agent();
  if (!agent)
    return std::string();
  const NiceApi *nice = nice_api();
  std::string out;
  /* webrtcbin's streams are numbered from 1; with BUNDLE there is one. */
  for (guint stream = 1; stream <= 4 && out.empty(); stream++) {
    NiceCandidate *local = nullptr, *remote = nullptr;
    if (!nice->agent_get_selected_pair(agent, stream, 1, &local, &remote))
      continue;
    const NiceAddress *a = local->type == NICE_CANDIDATE_TYPE_HOST
                               ? &local->addr
                               : &local->base_addr;
    char buf[NICE_ADDRESS_STRING_LEN] = {0};
    nice->address_to_string(a, buf);
    out = buf;
    if (remote_address) {
      char r[NICE_ADDRESS_STRING_LEN] = {0};
      nice->address_to_string(&remote->addr, r);
      *remote_address = r;
    }
  }
  g_object_unref(agent);
  return out;
}

bool
PathMonitor::receive_backlog() const {
  NiceAgent *agent = this->agent();
  if (!agent)
    return false;
  const NiceApi *nice = nice_api();
  bool waiting = false;
  for (guint stream = 1; stream <= 4 && !waiting; stream++) {
    GSocket *socket = nice->agent_get_selected_socket(agent, stream, 1);
    if (!socket)
      continue;
    /* FIONREAD: for UDP, the size of the next datagram. */
    waiting = g_socket_get_available_bytes(socket) > 0;
    g_object_unref(socket);
  }
  g_object_unref(agent);
  return waiting;
}

PathMonitor::OsWord
PathMonitor::os_word() const {
  OsWord w;
  w.local = local_address(&w.remote);
  if (w.local.empty())
    return w;
  w.local_gone = !local_address_present(w.local);
  if (w.local_gone)
    w.why = "local address " + w.local + " is down";
  std::string route;
  w.route_gone = !w.remote.empty() && !route_usable(w.remote, &route);
  if (w.route_gone)
    w.why += (w.why.empty() ? "" : "; ") + route;
  return w;
}

void
PathMonitor::watch_element(GstElement *element) {
  GstElementFactory *factory = gst_element_get_factory(element);
  if (!factory)
    return;
  const gchar *name = GST_OBJECT_NAME(factory);
  if (g_strcmp0(name, "nicesrc") == 0) {
    g_autoptr(GstPad) src = gst_element_get_static_pad(element, "src");
    if (!src)
      return;
    gst_pad_add_probe(
        src,
        static_cast<GstPadProbeType>(
            GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
        [](GstPad *, GstPadProbeInfo *info, gpointer data) {
          guint n = 1, after = 0, reports = 0;
          if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST) {
            GstBufferList *list = GST_PAD_PROBE_INFO_BUFFER_LIST(info);
            n = gst_buffer_list_length(list);
            for (guint i = 0; i < n; i++)
              classify(gst_buffer_list_get(list, i), &after, &reports);
          } else {
            classify(GST_PAD_PROBE_INFO_BUFFER(info), &after, &reports);
          }
          static_cast<Holder *>(data)->monitor->on_packets(n, after, reports);
          return GST_PAD_PROBE_OK;
        },
        new Holder{shared_from_this()}, free_holder);
    GST_DEBUG_OBJECT(element, "watching received packets");
  } else if (g_strcmp0(name, "rtpsession") == 0 && rtcp_interval_ms_) {
    GObject *session = nullptr;
    g_object_get(element, "internal-session", &session, nullptr);
    if (session) {
      g_object_set(session, "rtcp-min-interval",
          static_cast<guint64>(rtcp_interval_ms_) * GST_MSECOND, nullptr);
      g_object_unref(session);
      GST_DEBUG_OBJECT(
          element, "RTCP interval set to %u ms", rtcp_interval_ms_);
    }
  }
}

void
PathMonitor::classify(GstBuffer *buffer, guint *after, guint *reports) {
  /* The first two bytes are in the clear in SRTCP too (RFC 3711): version
   * 2, then the first packet's type; RFC 5761 keeps RTP payload types out
   * of 192-223 on a muxed port. A regular compound packet starts with a
   * sender or receiver report; feedback alone (RFC 5506, what browsers
   * send) starts with 205 or 206. DTLS records (20-63) start with their
   * content type, 23 for application data; STUN (0-3) stays in libnice
   * (RFC 7983). */
  guint8 head[2];
  if (!buffer || gst_buffer_extract(buffer, 0, head, 2) != 2)
    return;
  if (head[0] == 23) {
    (*after)++;
    return;
  }
  if ((head[0] & 0xc0) != 0x80)
    return;
  (*after)++;
  if (head[1] == 200 || head[1] == 201)
    (*reports)++;
}

void
PathMonitor::on_packets(guint n, guint after, guint reports) {
  gint64 now = g_get_monotonic_time();
  last_us_.store(now);
  packets_.fetch_add(n);
  if (after)
    post_handshake_packets_.fetch_add(after);
  std::lock_guard<std::mutex> g(rhythm_lock_);
  if (rhythm_.on_packets(now, reports)) {
    gint64 gap, report_gap;
    rhythm_.closed_window(&gap, &report_gap);
    GST_DEBUG("%s: in the last 10 s the longest gap was %" G_GINT64_FORMAT
              " ms, between reports %" G_GINT64_FORMAT " ms (%" G_GUINT64_FORMAT
              " reports in all)",
        name_.c_str(), gap / 1000, report_gap / 1000, rhythm_.reports());
  }
}

guint64
PathMonitor::silence_ms(gint64 now_us) const {
  gint64 last = last_us_.load();
  if (last == 0 || now_us <= last)
    return 0;
  return static_cast<guint64>(now_us - last) / 1000;
}

guint64
PathMonitor::os_confirm_ms() const {
  std::lock_guard<std::mutex> g(rhythm_lock_);
  return rhythm_.os_confirm_ms();
}

guint64
PathMonitor::degraded_ms() const {
  std::lock_guard<std::mutex> g(rhythm_lock_);
  return rhythm_.degraded_ms(learning_floor_ms_);
}

guint64
PathMonitor::threshold_ms(guint timeout_ms) const {
  std::lock_guard<std::mutex> g(rhythm_lock_);
  return rhythm_.threshold_ms(timeout_ms, learning_floor_ms_);
}

bool
PathMonitor::fast_rule(guint timeout_ms) const {
  std::lock_guard<std::mutex> g(rhythm_lock_);
  return rhythm_.fast_threshold_ms()
         < rhythm_.slow_threshold_ms(timeout_ms, learning_floor_ms_);
}

} // namespace gws
