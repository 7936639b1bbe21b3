/* gst-webrtc-relay as a child process of a GoogleTest program: started on
 * 127.0.0.1 with any free port (GWS_RELAY names the program), its URL read
 * from the "listening on ws://..." line, killed and reaped on destruction.
 * For tests that run real elements against the real relay. */
#pragma once

#include <gio/gio.h>
#include <gtest/gtest.h>

#include <string>

namespace gwstest {

class RelayProcess {
 public:
  RelayProcess() = default;
  RelayProcess(const RelayProcess &) = delete;
  RelayProcess &operator=(const RelayProcess &) = delete;

  /* FALSE (and a test failure) when it cannot start. */
  bool start() {
    const char *path = g_getenv("GWS_RELAY");
    if (!path) {
      ADD_FAILURE() << "GWS_RELAY is not set";
      return false;
    }
    const char *argv[] = {path, "--host", "127.0.0.1", "--port", "0", nullptr};
    g_autoptr(GError) err = nullptr;
    proc_ = g_subprocess_newv(argv,
        static_cast<GSubprocessFlags>(
            G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE),
        &err);
    if (!proc_) {
      ADD_FAILURE() << "cannot start the relay: " << err->message;
      return false;
    }
    g_autoptr(GDataInputStream) in
        = g_data_input_stream_new(g_subprocess_get_stdout_pipe(proc_));
    /* It prints the line at once, or exits (EOF). */
    while (gchar *line
           = g_data_input_stream_read_line(in, nullptr, nullptr, nullptr)) {
      std::string text = line;
      g_free(line);
      auto at = text.find("listening on ws://");
      if (at != std::string::npos) {
        url_ = text.substr(at + 13);
        url_ = url_.substr(0, url_.find_first_of(" \t"));
        while (!url_.empty() && url_.back() == '/')
          url_.pop_back();
        return true;
      }
    }
    ADD_FAILURE() << "the relay did not say \"listening on ws://...\"";
    return false;
  }

  ~RelayProcess() {
    if (proc_) {
      g_subprocess_force_exit(proc_);
      g_subprocess_wait(proc_, nullptr, nullptr);
      g_object_unref(proc_);
    }
  }

  /* "ws://127.0.0.1:PORT", no trailing slash. */
  const std::string &url() const { return url_; }

 private:
  GSubprocess *proc_ = nullptr;
  std::string url_;
};

} // namespace gwstest
