/* gst-webrtc-session: an element's connection to its signaller's signals.
 *
 * The signaller emits from its own thread. A SignallerLink holds the
 * element's handlers for one signaller; handlers stay valid during an
 * emission that races with disconnect(), so the element may drop the link
 * at any time. */
#pragma once

#include "gws-promise.h"
#include "gws-signaller.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace gws {

/* The detail of the signaller's "error" signal. */
enum class SignallerErrorKind {
  Fatal,       /* "error::fatal": gave up */
  Retrying,    /* "error::retrying": keeps trying by itself */
  Unavailable, /* "error::unavailable": what it needs is missing; stopped */
};

struct SignallerCallbacks {
  std::function<void(std::string id, std::string peer, DescPtr offer)>
      session_requested;
  std::function<void(std::string id, std::string peer)> session_started;
  std::function<void(std::string id, DescPtr desc)> session_description;
  std::function<void(std::string id, guint mline, std::string candidate)>
      handle_ice;
  std::function<void(std::string id, std::string reason)> session_ended;
  std::function<void(std::string message, SignallerErrorKind kind)> error;
  std::function<void(bool connected)> connection_changed;
  /* The signaller's optional "element-message" (GstStructure *): a message
   * for the application, posted on the bin (the offline signaller's
   * description). */
  std::function<void(GstStructure *s)> element_message;
};

/* Fills @cb's error, connection_changed and element_message the way both
 * elements report them on @element: a fatal or unavailable signaller error
 * is an element error, a retrying one a warning; connection changes are
 * logged; a signaller's element message is posted from @element. The
 * elements then apply the start-order policy on top (gws-start-wait.h). */
void report_signaller_state(SignallerCallbacks &cb, GstElement *element);

/* Reports a session that failed (session thread): a WARNING and the element
 * message `gws-session-failed` (session-id, peer-id, reason). A server's
 * client failing is never the pipeline's error. */
void post_session_failed(GstElement *element, const std::string &session_id,
    const std::string &peer_id, const std::string &reason);

class SignallerLink {
 public:
  SignallerLink() = default;
  ~SignallerLink() { disconnect(); }

  SignallerLink(const SignallerLink &) = delete;
  SignallerLink &operator=(const SignallerLink &) = delete;

  void connect(GwsSignaller *signaller, SignallerCallbacks callbacks);
  void disconnect();

 private:
  GwsSignaller *signaller_ = nullptr;
  std::vector<gulong> handlers_;
};

} // namespace gws
