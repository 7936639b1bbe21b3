/* gst-webrtc-session: webrtcsink's run-relay and meta (see
 * gws-embedded-relay.h and gws-webrtc-sink-private.h). Called from the
 * element's state changes, never with `lock` held while calling out. */
#include "gws-webrtc-sink-private.h"

#define GST_CAT_DEFAULT gws_webrtc_sink_debug

namespace gws {

namespace {

/* @uri's "?query" part ("" when none): kept when the signaller is pointed
 * at the in-process relay (e.g. ?peer-id=cam1). */
std::string
query_of(const std::string &uri) {
  g_autoptr(GUri) parsed = g_uri_parse(uri.c_str(), G_URI_FLAGS_NONE, nullptr);
  const char *q = parsed ? g_uri_get_query(parsed) : nullptr;
  return q && *q ? std::string("?") + q : std::string();
}

} // namespace

bool
SinkPrivate::start_relay() {
  EmbeddedRelayConfig config;
  std::string element_uri;
  {
    std::lock_guard<std::mutex> g(lock);
    if (!run_relay)
      return true;
    config = relay_config;
    element_uri = uri;
  }
  std::string error;
  if (!relay.start(config, GST_OBJECT(self), error)) {
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ_WRITE,
        ("could not start the relay on %s:%u: %s", config.address.c_str(),
            config.port, error.c_str()),
        (nullptr));
    return false;
  }
  /* A ws:// signaller publishes through it, whatever host and port its
   * uri named; the query (?peer-id=...) stays. */
  GwsSignaller *sig = ref_signaller();
  if (sig) {
    GParamSpec *p
        = g_object_class_find_property(G_OBJECT_GET_CLASS(sig), "uri");
    bool ws = g_str_has_prefix(element_uri.c_str(), "ws://")
              || g_str_has_prefix(element_uri.c_str(), "wss://");
    if (p && ws) {
      std::string target = relay.url() + "/" + query_of(element_uri);
      gchar *prior = nullptr;
      g_object_get(sig, "uri", &prior, nullptr);
      relay_prior_uri = prior ? prior : "";
      relay_target_uri = target;
      g_free(prior);
      g_object_set(sig, "uri", target.c_str(), nullptr);
      GST_INFO_OBJECT(
          self, "publishing through the in-process relay: %s", target.c_str());
    } else {
      GST_ELEMENT_WARNING(self, RESOURCE, SETTINGS,
          ("run-relay: the relay runs at %s, but this element's uri %s is "
           "not ws://, so it does not publish there",
              relay.url().c_str(), element_uri.c_str()),
          (nullptr));
    }
    g_object_unref(sig);
  }
  std::string page = config.web_root.empty() ? "" : relay.page_url();
  /* Like the Rust element's web server: the user needs the address. */
  if (!page.empty())
    g_print("webrtcsink %s: open %s in a browser (relay %s)\n",
        GST_OBJECT_NAME(self), page.c_str(), relay.url().c_str());
  else
    g_print("webrtcsink %s: relay at %s (no web page: web-root not found)\n",
        GST_OBJECT_NAME(self), relay.url().c_str());
  gst_element_post_message(
      GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self),
                             gst_structure_new("gws-relay-started", "url",
                                 G_TYPE_STRING, relay.url().c_str(), "page",
                                 G_TYPE_STRING, page.c_str(), nullptr)));
  return true;
}

void
SinkPrivate::stop_relay() {
  relay.stop();
  if (relay_target_uri.empty())
    return;
  /* The signaller publishes where its uri said again (unless the
   * application pointed it elsewhere meanwhile), so turning run-relay off
   * needs no new uri. */
  GwsSignaller *sig = ref_signaller();
  if (sig) {
    gchar *now = nullptr;
    g_object_get(sig, "uri", &now, nullptr);
    if (g_strcmp0(now, relay_target_uri.c_str()) == 0) {
      g_object_set(sig, "uri", relay_prior_uri.c_str(), nullptr);
      GST_INFO_OBJECT(self, "relay stopped: publishing through %s again",
          relay_prior_uri.c_str());
    }
    g_free(now);
    g_object_unref(sig);
  }
  relay_prior_uri.clear();
  relay_target_uri.clear();
}

void
SinkPrivate::apply_meta() {
  gchar *text = nullptr;
  {
    std::lock_guard<std::mutex> g(lock);
    if (meta)
      text = gst_structure_to_string(meta);
  }
  if (!text)
    return;
  GwsSignaller *sig = ref_signaller();
  if (sig) {
    GParamSpec *p
        = g_object_class_find_property(G_OBJECT_GET_CLASS(sig), "meta");
    if (p && p->value_type == G_TYPE_STRING && (p->flags & G_PARAM_WRITABLE))
      g_object_set(sig, "meta", text, nullptr);
    else
      GST_WARNING_OBJECT(self,
          "meta: the signaller %s has no meta to send; ignored",
          G_OBJECT_TYPE_NAME(sig));
    g_object_unref(sig);
  }
  g_free(text);
}

} // namespace gws
