/* gst-webrtc-session: webrtcbin promises settled on a session's thread,
 * and the steps of making an offer and answering one, shared by
 * ConsumerSession (webrtcsink's consumers, webrtccall) and ReceiveSession
 * (webrtcsrc).
 *
 * `Session` is either class; `Host` its Host, which has
 *   with_connection(id, gen, std::function<void(Session &)>): runs the
 *     function on the session thread if connection @gen of session @id
 *     still exists (callable from any thread);
 *   fail_connection(id, gen, reason): that connection failed.
 * and the Session has webrtcbin().
 *
 * Threading: the promises settle on webrtcbin's thread, which only posts
 * to the session thread (through the Host); every step below the first
 * runs there, with the session alive. Header-only (templates). */
#pragma once

#include "gws-promise.h"

#include <functional>
#include <string>

namespace gws {

/* A promise (make_promise) whose outcome is handed to @fn on the session
 * thread, if connection @gen of session @id still exists then. The
 * caller owns the returned reference. */
template <typename Session, typename Host>
GstPromise *
session_promise(Host *host, const std::string &id, guint gen, const char *field,
    std::function<void(Session &, DescPtr, const std::string &)> fn) {
  return make_promise(
      field, [host, id, gen, fn](DescPtr desc, std::string err) {
        host->with_connection(
            id, gen, [fn, desc, err](Session &s) { fn(s, desc, err); });
      });
}

/* Creates an offer on connection @gen of session @id (@webrtc, its
 * webrtcbin). @offered gets it on the session thread; if webrtcbin
 * cannot make one, the connection fails (Host::fail_connection) with
 * @unoffered ("could not create an offer"), ": " and webrtcbin's error. */
template <typename Session, typename Host>
void
create_offer(GstElement *webrtc, Host *host, const std::string &id, guint gen,
    const std::string &unoffered,
    std::function<void(Session &, GstWebRTCSessionDescription *)> offered) {
  GstPromise *promise = session_promise<Session>(host, id, gen, "offer",
      [host, id, gen, unoffered, offered](
          Session &s, DescPtr offer, const std::string &err) {
        if (!offer) {
          host->fail_connection(id, gen, unoffered + ": " + err);
          return;
        }
        offered(s, offer.get());
      });
  g_signal_emit_by_name(webrtc, "create-offer", nullptr, promise);
  gst_promise_unref(promise);
}

/* Answers @offer on connection @gen of session @id: sets it as the
 * remote description of @webrtc (the connection's webrtcbin), then
 * creates the answer. @answered gets it on the session thread (the
 * session sends it and sets it as its local description). A step that
 * fails fails the connection (Host::fail_connection) with @refused
 * ("the consumer's offer was refused") or @unanswered ("could not create
 * an answer"), then ": " and webrtcbin's error. */
template <typename Session, typename Host>
void
answer_offer(GstElement *webrtc, const GstWebRTCSessionDescription *offer,
    Host *host, const std::string &id, guint gen, const std::string &refused,
    const std::string &unanswered,
    std::function<void(Session &, GstWebRTCSessionDescription *)> answered) {
  GstPromise *promise = session_promise<Session>(host, id, gen, nullptr,
      [host, id, gen, refused, unanswered, answered](
          Session &s, DescPtr, const std::string &error) {
        if (!error.empty()) {
          host->fail_connection(id, gen, refused + ": " + error);
          return;
        }
        GstPromise *p = session_promise<Session>(host, id, gen, "answer",
            [host, id, gen, unanswered, answered](
                Session &s2, DescPtr answer, const std::string &err) {
              if (!answer) {
                host->fail_connection(id, gen, unanswered + ": " + err);
                return;
              }
              answered(s2, answer.get());
            });
        g_signal_emit_by_name(s.webrtcbin(), "create-answer", nullptr, p);
        gst_promise_unref(p);
      });
  g_signal_emit_by_name(webrtc, "set-remote-description", offer, promise);
  gst_promise_unref(promise);
}

} // namespace gws
