/* gst-webrtc-session: webrtcbin promises (see gws-promise.h). */
#include "gws-promise.h"

namespace gws {

DescPtr
copy_desc(const GstWebRTCSessionDescription *desc) {
  if (!desc)
    return nullptr;
  return DescPtr(gst_webrtc_session_description_copy(desc),
      gst_webrtc_session_description_free);
}

namespace {

struct PromiseCtx {
  std::string field;
  std::function<void(DescPtr, std::string)> done;
};

void
on_promise_changed(GstPromise *promise, gpointer data) {
  auto *ctx = static_cast<PromiseCtx *>(data);
  DescPtr desc;
  std::string error;
  if (gst_promise_wait(promise) != GST_PROMISE_RESULT_REPLIED) {
    error = "interrupted";
  } else {
    const GstStructure *reply = gst_promise_get_reply(promise);
    if (reply && gst_structure_has_field(reply, "error")) {
      GError *err = nullptr;
      gst_structure_get(reply, "error", G_TYPE_ERROR, &err, nullptr);
      error = err ? err->message : "unknown error";
      g_clear_error(&err);
    } else if (!ctx->field.empty()) {
      GstWebRTCSessionDescription *d = nullptr;
      if (reply && gst_structure_has_field(reply, ctx->field.c_str()))
        gst_structure_get(reply, ctx->field.c_str(),
            GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &d, nullptr);
      if (d)
        desc = DescPtr(d, gst_webrtc_session_description_free);
      else
        error = "no " + ctx->field + " in the reply";
    }
  }
  ctx->done(desc, error);
}

} // namespace

GstPromise *
make_promise(const char *field,
    std::function<void(DescPtr desc, std::string error)> done) {
  auto *ctx = new PromiseCtx{field ? field : "", std::move(done)};
  return gst_promise_new_with_change_func(on_promise_changed, ctx,
      [](gpointer data) { delete static_cast<PromiseCtx *>(data); });
}

} // namespace gws
