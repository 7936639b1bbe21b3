/* gst-webrtc-session: the relay inside webrtcsink's process (see
 * gws-embedded-relay.h). */
#include "gws-embedded-relay.h"

#include "gws-debug.h"
#include "common/gws-worker.h"
#include "relay_server.h"

GWS_DEBUG_CATEGORY(gws_embedded_relay_debug, "gws-embedded-relay",
    "the relay and web page webrtcsink runs with run-relay=true")
#define GST_CAT_DEFAULT gws_embedded_relay_debug()

namespace gws {

struct EmbeddedRelay::Impl {
  Worker worker{"gws-relay"};
  /* Made, used and destroyed on the worker thread only. */
  std::unique_ptr<relay::RelayServer> server;
  GstObject *log_object = nullptr; /* a reference while running */
};

EmbeddedRelay::EmbeddedRelay() : impl_(std::make_unique<Impl>()) {}

EmbeddedRelay::~EmbeddedRelay() {
  stop();
}

std::string
EmbeddedRelay::default_web_root() {
  for (const char *dir : {GWS_WEB_ROOT_INSTALLED, GWS_WEB_ROOT_SOURCE}) {
    g_autofree gchar *index = g_build_filename(dir, "index.html", nullptr);
    if (g_file_test(index, G_FILE_TEST_IS_REGULAR))
      return dir;
  }
  return "";
}

bool
EmbeddedRelay::start(const EmbeddedRelayConfig &config, GstObject *log_object,
    std::string &error) {
  if (server_)
    return true;
  relay::ServerConfig sc;
  sc.host = config.address;
  sc.port = config.port;
  sc.web_root = config.web_root;
  impl_->log_object
      = log_object ? GST_OBJECT(gst_object_ref(log_object)) : nullptr;
  GstObject *obj = impl_->log_object;
  sc.log_sink = [obj](const std::string &line) {
    GST_INFO_OBJECT(obj, "relay: %s", line.c_str());
  };
  impl_->worker.start();
  bool ok = false;
  std::string url;
  /* On the relay thread: the server's sources go to its context. */
  impl_->worker.run_sync([&]() {
    auto server = std::make_unique<relay::RelayServer>(std::move(sc));
    if (server->start(error)) {
      url = server->url();
      impl_->server = std::move(server);
      ok = true;
    }
  });
  if (!ok) {
    impl_->worker.stop();
    if (impl_->log_object)
      gst_object_unref(impl_->log_object);
    impl_->log_object = nullptr;
    return false;
  }
  server_ = impl_->server.get();
  url_ = url;
  GST_INFO_OBJECT(obj, "relay listening on %s", url_.c_str());
  return true;
}

void
EmbeddedRelay::stop() {
  if (!server_)
    return;
  Impl *impl = impl_.get();
  /* Close the connections (at most the server's grace period), then
   * destroy the server on its thread, outside its own callbacks. */
  impl->worker.shutdown([impl]() {
    impl->server->shutdown([impl]() {
      /* Not inside the server's own callback: an idle source of the relay
       * thread's context (the worker takes no new posts while shutting
       * down). */
      GSource *idle = g_idle_source_new();
      g_source_set_callback(
          idle,
          [](gpointer data) -> gboolean {
            auto *impl = static_cast<Impl *>(data);
            impl->server.reset();
            impl->worker.quit();
            return G_SOURCE_REMOVE;
          },
          impl, nullptr);
      g_source_attach(idle, impl->worker.context());
      g_source_unref(idle);
    });
  });
  server_ = nullptr;
  GST_INFO_OBJECT(impl->log_object, "relay %s stopped", url_.c_str());
  if (impl->log_object)
    gst_object_unref(impl->log_object);
  impl->log_object = nullptr;
  url_.clear();
}

std::string
EmbeddedRelay::page_url() const {
  if (url_.empty())
    return "";
  std::string http = url_;
  if (http.rfind("wss://", 0) == 0)
    http = "https://" + http.substr(6);
  else if (http.rfind("ws://", 0) == 0)
    http = "http://" + http.substr(5);
  return http + "/";
}

} // namespace gws
