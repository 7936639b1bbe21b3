/* gst-webrtc-session: is the network path of one webrtcbin alive?
 *
 * webrtcbin 1.22 never reports a dead path: its ICE state stays
 * "connected" while nothing arrives. A PathMonitor watches what does
 * arrive: every packet that leaves the webrtcbin's nicesrc elements (SRTP
 * and SRTCP; libnice keeps STUN to itself). A receiver gets RTP at the
 * frame rate and the sender's RTCP; a sender gets the receiver's RTCP.
 * To make RTCP a heartbeat, the monitor also lowers the RTCP interval of
 * the webrtcbin's RTP sessions (default 5 s in rtpsession) to
 * @rtcp_interval_ms, so that even a stream that pauses keeps its path
 * visibly alive. That is a floor: above it rtpsession derives the
 * interval from the media bitrate (measured with 250 ms: our reports
 * 100-580 ms apart while video flows, up to ~760 ms while it pauses).
 *
 * The silence threshold adapts to the peer's rhythm (gws-packet-rhythm.h):
 * a slow rule (max(timeout, 2 x the longest recent gap), with a learning
 * floor for a sender during a connection's first 3 s) and, below it, a
 * fast rule for a peer whose packets and RTCP reports come often enough
 * to prove a silence sooner (RTP at the frame rate and our elements'
 * reports; not a browser's, 0.5-1.5 s apart). Each packet that leaves a
 * nicesrc is classed by its first two bytes (clear in SRTCP too): an RTCP
 * compound starting with a sender or receiver report, or anything else.
 *
 * Thread-safe: packets are counted on streaming threads, read anywhere. */
#pragma once

#include "gws-packet-rhythm.h"

#include <gst/gst.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

/* libnice's agent (nice/agent.h), without its headers here. */
typedef struct _NiceAgent NiceAgent;

namespace gws {

class PathMonitor : public std::enable_shared_from_this<PathMonitor> {
 public:
  /* Starts watching @webrtcbin (call before it negotiates: the transport
   * elements appear during negotiation). */
  static std::shared_ptr<PathMonitor> attach(GstElement *webrtcbin,
      guint rtcp_interval_ms, guint learning_floor_ms = 0);

  guint64 packets() const { return packets_.load(); }
  /* Of those, what only flows once the DTLS handshake is done: SRTP and
   * SRTCP (first byte 128-191, RFC 7983) and DTLS application data (the
   * data channel's SCTP, record type 23); the rest is the handshake's. */
  guint64 post_handshake_packets() const {
    return post_handshake_packets_.load();
  }
  /* Monotonic time (us) of the last packet, 0 before the first. */
  gint64 last_packet_us() const { return last_us_.load(); }
  /* Milliseconds since the last packet (0 before the first). */
  guint64 silence_ms(gint64 now_us) const;
  /* How long a silence means a lost path, for a configured @timeout_ms:
   * the slow rule, or the fast one when it applies and is shorter. */
  guint64 threshold_ms(guint timeout_ms) const;
  /* TRUE when threshold_ms() comes from the fast rule (for logs). */
  bool fast_rule(guint timeout_ms) const;
  /* How long a silence means a degraded path: longer than the peer's own
   * rhythm (1.5 x the longest recent gap; the learning floor while it is
   * not known) and at least 150 ms. Judged only together with the OS's
   * word (a new default route, gws-route-watch.h). */
  guint64 degraded_ms() const;
  /* The silence that confirms the OS's word that the local address is
   * gone (PacketRhythm::os_confirm_ms(): 50-150 ms). */
  guint64 os_confirm_ms() const;
  /* The local socket address of the selected ICE pair ("" before one is
   * selected): the candidate's own address, or its base for srflx/relay;
   * @remote (may be NULL) gets the remote candidate's address. */
  std::string local_address(std::string *remote = nullptr) const;
  /* Received packets wait in the kernel for the selected pair's socket:
   * the path is alive and this process is behind reading it (starved of
   * CPU), so a silence means nothing. FALSE when unknown (no pair yet, or
   * a TCP or relayed pair libnice has no socket of its own for). Session
   * thread. */
  bool receive_backlog() const;
  /* What the OS says about the selected pair (gws-local-addresses.h,
   * gws-route-lookup.h): its local address is gone (its interface is down
   * or lost it), and/or the route to its remote address is (no route, or
   * one through an interface that is down). Both FALSE when unknown. */
  struct OsWord {
    bool local_gone = false;
    bool route_gone = false;
    std::string local;  /* the pair's local address */
    std::string remote; /* its remote address */
    std::string why;    /* for logs: what is gone */
    bool any() const { return local_gone || route_gone; }
  };
  OsWord os_word() const;

  PathMonitor() { g_weak_ref_init(&ice_, nullptr); }
  ~PathMonitor() { g_weak_ref_clear(&ice_); }
  PathMonitor(const PathMonitor &) = delete;
  PathMonitor &operator=(const PathMonitor &) = delete;

 private:
  void on_packets(guint n, guint after, guint reports);
  /* Adds @buffer to @after when it is SRTP, SRTCP or DTLS application
   * data, and to @reports when it is an RTCP compound starting with a
   * sender or receiver report. */
  static void classify(GstBuffer *buffer, guint *after, guint *reports);
  void watch_element(GstElement *element);
  /* The NiceAgent of the ICE object, a new reference; nullptr when the
   * ICE object is gone or libnice could not be loaded (nice_api()). */
  NiceAgent *agent() const;

  /* webrtcbin's GstWebRTCICE, weakly: a strong ref here could make the
   * monitor's last owner (a probe's destroy notify, on whatever thread
   * drops a pad) finalize the ICE agent, which joins its own thread. */
  mutable GWeakRef ice_;
  guint rtcp_interval_ms_ = 0;
  guint learning_floor_ms_ = 0;
  std::atomic<guint64> packets_{0};
  std::atomic<guint64> post_handshake_packets_{0};
  std::atomic<gint64> last_us_{0};
  std::string name_; /* the webrtcbin's, for logs */
  mutable std::mutex rhythm_lock_;
  PacketRhythm rhythm_; /* rhythm_lock_ */
};

} // namespace gws
