/* gst-webrtc-relay: the signalling server WebRTC peers meet through.
 *
 * Parses the command line, runs a RelayServer on the default GMainContext
 * and shuts it down cleanly on SIGINT/SIGTERM. The protocol is described in
 * docs/protocol.md. */
#include "relay_server.h"

#include <glib-unix.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>

namespace {

struct Options {
  char *host = nullptr;
  gint port = 8443;
  char *token = nullptr;
  char *token_file = nullptr;
  char *cert = nullptr;
  char *key = nullptr;
  char *web_root = nullptr;
  gint64 max_message_size = 64 * 1024;
  gint ping_interval = 30;
  gint request_timeout = 10;
  gint poll_hold = 25;
  gdouble flood_rate = 200.0;
  gdouble flood_burst = 400.0;
  gdouble flood_session_rate = 5.0;
  gdouble flood_session_burst = 32.0;

  ~Options() {
    g_free(host);
    g_free(token);
    g_free(token_file);
    g_free(cert);
    g_free(key);
    g_free(web_root);
  }
};

struct LoopUnref {
  void operator()(GMainLoop *l) const { g_main_loop_unref(l); }
};

gboolean
on_signal(gpointer user_data) {
  auto *stop = static_cast<std::function<void()> *>(user_data);
  (*stop)();
  return G_SOURCE_CONTINUE;
}

bool
read_token_file(const char *path, std::string &token, std::string &error) {
  g_autofree char *text = nullptr;
  g_autoptr(GError) err = nullptr;
  if (!g_file_get_contents(path, &text, nullptr, &err)) {
    error = std::string("cannot read --token-file: ") + err->message;
    return false;
  }
  token = g_strstrip(text);
  if (token.empty()) {
    error = std::string("--token-file ") + path + " is empty";
    return false;
  }
  return true;
}

} // namespace

int
main(int argc, char **argv) {
  setvbuf(stdout, nullptr, _IOLBF, 0);

  Options o;
  GOptionEntry entries[] = {
      {"host", 0, 0, G_OPTION_ARG_STRING, &o.host,
          "Address to listen on (default 0.0.0.0)", "ADDRESS"},
      {"port", 0, 0, G_OPTION_ARG_INT, &o.port,
          "TCP port (default 8443; 0 picks a free port, printed in the log)",
          "PORT"},
      {"token", 0, 0, G_OPTION_ARG_STRING, &o.token,
          "Access token: a WebSocket connection must send \"Authorization: "
          "Bearer SECRET\" or ?token=SECRET, or is refused with HTTP 401",
          "SECRET"},
      {"token-file", 0, 0, G_OPTION_ARG_FILENAME, &o.token_file,
          "Read the access token from a file (keeps it out of the process "
          "list)",
          "PATH"},
      {"cert", 0, 0, G_OPTION_ARG_FILENAME, &o.cert,
          "TLS certificate (PEM); with --key serves wss:// and https://",
          "PATH"},
      {"key", 0, 0, G_OPTION_ARG_FILENAME, &o.key, "TLS private key (PEM)",
          "PATH"},
      {"max-message-size", 0, 0, G_OPTION_ARG_INT64, &o.max_message_size,
          "Largest message accepted, in bytes (default 65536); larger ones "
          "get an error reply",
          "BYTES"},
      {"ping-interval", 0, 0, G_OPTION_ARG_INT, &o.ping_interval,
          "Ping every connection this often (default 30; 0: never); one "
          "silent for 2.5 intervals is closed",
          "SECONDS"},
      {"request-timeout", 0, 0, G_OPTION_ARG_INT, &o.request_timeout,
          "Drop a connection that has not sent a complete HTTP request "
          "(such as the WebSocket upgrade) within this time (default 10; "
          "0: never)",
          "SECONDS"},
      {"poll-hold", 0, 0, G_OPTION_ARG_INT, &o.poll_hold,
          "Hold a long-poll GET (HTTP POST/GET at /poll, for networks that "
          "block WebSocket) this long when there is nothing to send "
          "(default 25)",
          "SECONDS"},
      {"flood-rate", 0, 0, G_OPTION_ARG_DOUBLE, &o.flood_rate,
          "Messages per second a peer may send, sustained (default 200)", "N"},
      {"flood-burst", 0, 0, G_OPTION_ARG_DOUBLE, &o.flood_burst,
          "Messages a peer may send in a burst (default 400); beyond the "
          "rate and burst it is disconnected",
          "N"},
      {"flood-session-rate", 0, 0, G_OPTION_ARG_DOUBLE, &o.flood_session_rate,
          "More messages per second for each session a peer is in (default "
          "5)",
          "N"},
      {"flood-session-burst", 0, 0, G_OPTION_ARG_DOUBLE, &o.flood_session_burst,
          "More burst for each session a peer is in, given as it starts "
          "(default 32: a producer answering 160 consumers at once sends "
          "~4 messages for each)",
          "N"},
      {"web-root", 0, 0, G_OPTION_ARG_FILENAME, &o.web_root,
          "Serve static files from this directory over HTTP GET on the same "
          "port",
          "DIR"},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr},
  };

  g_autoptr(GOptionContext) ctx = g_option_context_new(
      "- signalling relay for WebRTC peers (webrtcsink/webrtcsrc protocol)");
  g_option_context_add_main_entries(ctx, entries, nullptr);
  g_option_context_set_description(ctx,
      "Peers connect to ws://HOST:PORT/ (wss:// with --cert/--key). A peer "
      "may claim a\nstable id with ?peer-id=NAME. Where proxies block "
      "WebSocket, the same protocol\nruns over HTTP long-poll at "
      "http(s)://HOST:PORT/poll. See docs/protocol.md.\n");
  g_autoptr(GError) err = nullptr;
  if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
    fprintf(stderr, "gst-webrtc-relay: %s (try --help)\n", err->message);
    return 2;
  }
  if (argc > 1) {
    fprintf(stderr,
        "gst-webrtc-relay: unexpected argument \"%s\" (try "
        "--help)\n",
        argv[1]);
    return 2;
  }

  gws::relay::ServerConfig config;
  if (o.host)
    config.host = o.host;
  if (o.port < 0 || o.port > 65535) {
    fprintf(stderr, "gst-webrtc-relay: --port must be 0..65535\n");
    return 2;
  }
  config.port = static_cast<guint16>(o.port);
  if (o.token && o.token_file) {
    fprintf(stderr, "gst-webrtc-relay: give --token or --token-file, not "
                    "both\n");
    return 2;
  }
  if (o.token) {
    config.token = o.token;
    if (config.token.empty()) {
      fprintf(stderr, "gst-webrtc-relay: --token is empty\n");
      return 2;
    }
  }
  if (o.token_file) {
    std::string error;
    if (!read_token_file(o.token_file, config.token, error)) {
      fprintf(stderr, "gst-webrtc-relay: %s\n", error.c_str());
      return 2;
    }
  }
  if (o.cert)
    config.cert_file = o.cert;
  if (o.key)
    config.key_file = o.key;
  if (o.web_root)
    config.web_root = o.web_root;
  if (o.max_message_size < 64 || o.max_message_size > 64 * 1024 * 1024) {
    fprintf(stderr, "gst-webrtc-relay: --max-message-size must be 64 to "
                    "67108864 bytes\n");
    return 2;
  }
  config.router.max_message_size = static_cast<size_t>(o.max_message_size);
  if (o.ping_interval < 0 || o.ping_interval > 3600) {
    fprintf(stderr, "gst-webrtc-relay: --ping-interval must be 0..3600\n");
    return 2;
  }
  config.ping_interval = static_cast<unsigned>(o.ping_interval);
  if (o.request_timeout < 0 || o.request_timeout > 3600) {
    fprintf(stderr, "gst-webrtc-relay: --request-timeout must be 0..3600\n");
    return 2;
  }
  config.request_timeout = static_cast<unsigned>(o.request_timeout);
  if (o.poll_hold < 1 || o.poll_hold > 300) {
    fprintf(stderr, "gst-webrtc-relay: --poll-hold must be 1..300\n");
    return 2;
  }
  config.poll_hold = static_cast<unsigned>(o.poll_hold);
  if (!(o.flood_session_rate >= 0) || !(o.flood_session_burst >= 0)) {
    fprintf(stderr, "gst-webrtc-relay: --flood-session-rate and "
                    "--flood-session-burst must be >= 0\n");
    return 2;
  }
  if (!(o.flood_rate > 0) || !(o.flood_burst >= 1)) {
    fprintf(stderr, "gst-webrtc-relay: --flood-rate must be > 0 and "
                    "--flood-burst >= 1\n");
    return 2;
  }
  config.router.flood_rate = o.flood_rate;
  config.router.flood_burst = o.flood_burst;
  config.router.flood_session_rate = o.flood_session_rate;
  config.router.flood_session_burst = o.flood_session_burst;

  std::unique_ptr<GMainLoop, LoopUnref> loop(g_main_loop_new(nullptr, FALSE));
  gws::relay::RelayServer server(std::move(config));
  /* Before start(): once the "listening" line is out, a signal must
   * already mean a clean shutdown. */
  bool stopping = false;
  std::function<void()> stop = [&server, &loop, &stopping]() {
    if (stopping) { /* a second signal: do not wait for the peers */
      server.log("second signal: stopping now");
      g_main_loop_quit(loop.get());
      return;
    }
    stopping = true;
    server.shutdown([&loop]() { g_main_loop_quit(loop.get()); });
  };
  guint sigint = g_unix_signal_add(SIGINT, on_signal, &stop);
  guint sigterm = g_unix_signal_add(SIGTERM, on_signal, &stop);

  std::string error;
  if (!server.start(error)) {
    fprintf(stderr, "gst-webrtc-relay: %s\n", error.c_str());
    return 1;
  }

  g_main_loop_run(loop.get());

  g_source_remove(sigint);
  g_source_remove(sigterm);
  server.log("stopped");
  return 0;
}
