/* Fuzz target: the request handling of the WHIP and WHEP servers
 * (signaling/whip/whip-server.cpp behind GwsWhipServer / GwsWhepServer),
 * driven as a client would, over TCP to both servers running in this
 * process (each on its own worker thread, as in webrtcsrc / webrtcsink).
 *
 * Input: one byte choosing the server (even: WHIP on /whip, odd: WHEP on
 * /whep), then an HTTP request sent as is. Where the request says $R, a
 * real session resource is put in (the harness first POSTs an offer, plays
 * the element and answers it, and DELETEs the resource afterwards); $E is
 * its ETag. So PATCH (trickle, ICE restart), DELETE and OPTIONS on a
 * resource are reached, not only 404s. The harness answers every offer the
 * way the elements do: send_sdp(answer), one candidate, end of gathering.
 *
 * Invariants: every connection is answered or closed within 2 s (the
 * servers never leave a request hanging); the answer carries a status of
 * 2xx, 4xx or 5xx; nothing crashes, leaks or trips a sanitizer. */
#include "fuzz.h"
#include "fuzz_net.h"
#include "gws-whip.h"

#include <gst/gst.h>

#include <string>

namespace {

const char *kAnswer = "v=0\r\n"
                      "o=- 1 1 IN IP4 127.0.0.1\r\n"
                      "s=-\r\n"
                      "t=0 0\r\n"
                      "a=group:BUNDLE 0\r\n"
                      "a=ice-ufrag:fuzz\r\n"
                      "a=ice-pwd:0123456789abcdef01234567\r\n"
                      "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
                      "c=IN IP4 0.0.0.0\r\n"
                      "a=mid:0\r\n"
                      "a=rtpmap:96 VP8/90000\r\n"
                      "a=setup:active\r\n";

const char *kOffer = "v=0\r\n"
                     "o=- 2 1 IN IP4 127.0.0.1\r\n"
                     "s=-\r\n"
                     "t=0 0\r\n"
                     "a=group:BUNDLE 0\r\n"
                     "a=ice-ufrag:offr\r\n"
                     "a=ice-pwd:0123456789abcdef01234567\r\n"
                     "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
                     "c=IN IP4 0.0.0.0\r\n"
                     "a=mid:0\r\n"
                     "a=rtpmap:96 VP8/90000\r\n"
                     "a=setup:actpass\r\n";

/* What webrtcsrc / webrtcsink would do with an offer: answer it. */
void
answer(GwsSignaller *sig, const gchar *sid) {
  GstSDPMessage *sdp = nullptr;
  gst_sdp_message_new_from_text(kAnswer, &sdp);
  GstWebRTCSessionDescription *desc
      = gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_ANSWER, sdp);
  gws_signaller_send_sdp(sig, sid, desc);
  gst_webrtc_session_description_free(desc);
  gws_signaller_add_ice(sig, sid,
      "candidate:1 1 UDP 2122260223 127.0.0.1 40000 typ host", 0, nullptr);
  gws_signaller_add_ice(sig, sid, nullptr, 0, nullptr);
}

struct Endpoint {
  GwsSignaller *sig = nullptr;
  int port = 0;
  const char *path = nullptr;
};

Endpoint
start(const char *uri, GwsSignallerRole role, const char *path) {
  Endpoint e;
  e.path = path;
  e.sig = gws_signaller_new_for_uri(uri, role, nullptr);
  FUZZ_CHECK(e.sig, "no signaller for %s", uri);
  static const gchar *ice[] = {"stun://127.0.0.1:3478",
      "turn://user:pass@127.0.0.1:3478?transport=udp", nullptr};
  g_object_set(e.sig, "max-sessions", 0u, "gather-timeout", 200u,
      "answer-timeout", 500u, "ice-servers", ice, nullptr);
  if (role == GWS_SIGNALLER_ROLE_CONSUMER) {
    g_signal_connect(e.sig, "session-description",
        G_CALLBACK(+[](GwsSignaller *sig, const gchar *sid,
                        GstWebRTCSessionDescription *,
                        gpointer) { answer(sig, sid); }),
        nullptr);
  } else {
    g_signal_connect(e.sig, "session-requested",
        G_CALLBACK(+[](GwsSignaller *sig, const gchar *sid, const gchar *,
                        GstWebRTCSessionDescription *,
                        gpointer) { answer(sig, sid); }),
        nullptr);
  }
  gws_signaller_start(e.sig);
  gchar *url = nullptr;
  for (int i = 0; i < 500 && !url; i++) {
    g_object_get(e.sig, "endpoint-url", &url, nullptr);
    if (url && !*url)
      g_clear_pointer(&url, g_free);
    if (!url)
      g_usleep(10000); /* start-up only: the bound port is not a signal */
  }
  FUZZ_CHECK(url, "%s never listened", uri);
  std::string u = url;
  g_free(url);
  e.port = atoi(u.c_str() + u.rfind(':') + 1);
  return e;
}

Endpoint &
endpoint(bool whep) {
  static Endpoint *eps = [] {
    gst_init(nullptr, nullptr);
    gws_whip_register_schemes();
    auto *a = new Endpoint[2]; /* they live as long as the process */
    a[0] = start(
        "whip-server://127.0.0.1:0/whip", GWS_SIGNALLER_ROLE_CONSUMER, "/whip");
    a[1] = start(
        "whep-server://127.0.0.1:0/whep", GWS_SIGNALLER_ROLE_PRODUCER, "/whep");
    return a;
  }();
  return eps[whep ? 1 : 0];
}

std::string
header(const std::string &reply, const char *name) {
  std::string key = std::string("\r\n") + name + ": ";
  size_t at = reply.find(key);
  if (at == std::string::npos)
    return "";
  size_t end = reply.find("\r\n", at + key.size());
  return reply.substr(at + key.size(), end - at - key.size());
}

void
replace_all(std::string &s, const std::string &from, const std::string &to) {
  for (size_t at = 0; (at = s.find(from, at)) != std::string::npos;
       at += to.size())
    s.replace(at, from.size(), to);
}

} // namespace

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  Endpoint &e = endpoint(data[0] & 1);
  std::string request(reinterpret_cast<const char *>(data) + 1, size - 1);

  std::string resource, etag;
  if (request.find("$R") != std::string::npos
      || request.find("$E") != std::string::npos) {
    std::string post = std::string("POST ") + e.path
                       + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         "Content-Type: application/sdp\r\nContent-Length: "
                       + std::to_string(strlen(kOffer)) + "\r\n\r\n" + kOffer;
    std::string reply = fuzznet::exchange(e.port, post, false);
    FUZZ_CHECK(fuzznet::status_of(reply) == 201,
        "%s server: the harness's own offer was not answered within 2 s: "
        "%.200s",
        e.path, reply.c_str());
    resource = header(reply, "Location");
    etag = header(reply, "ETag");
    replace_all(request, "$R", resource);
    replace_all(request, "$E", etag);
  }

  std::string reply = fuzznet::exchange(e.port, request);
  int status = fuzznet::status_of(reply);
  if (!reply.empty())
    FUZZ_CHECK(status >= 200 && status < 600 && status / 100 != 3,
        "status %d: %.200s", status, reply.c_str());

  /* Sessions the input made (a valid offer) go too: the servers keep no
   * state from one input to the next. */
  if (status == 201 && resource.empty())
    resource = header(reply, "Location");
  if (!resource.empty())
    fuzznet::exchange(
        e.port, "DELETE " + resource + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  return 0;
}
