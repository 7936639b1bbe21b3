/* gst-webrtc-session: a branch's picture follows its bitrate (see
 * gws-picture-scaler.h). */
#include "gws-picture-scaler.h"

#include "gws-debug.h"

#include <gst/video/video.h>

#include <algorithm>

GWS_DEBUG_CATEGORY(gws_picture_scaler_debug, "gws-picture-scaler",
    "webrtcsink: a shared encoder's picture size and frame rate lowered "
    "with its bitrate")
#define GST_CAT_DEFAULT gws_picture_scaler_debug()

namespace gws {

namespace {

/* Bits per pixel per frame. Below kDownBpp the picture steps down: VP8 at
 * 640x480, 30 frames/s, 470 kbit/s (0.05) is what a 600 kbit/s consumer
 * got before this, and its encoder then skipped frames (12-17 frames/s
 * decoded), while 320x240 at the same rate (0.2) kept 30 frames/s on the
 * same link (docs/benchmarks.md "renditions-picture"). libwebrtc's
 * default singlecast limits put the change at about the same place
 * (640x360 from 500 kbit/s: 0.072 at 30 frames/s). The step back up waits
 * for kUpBpp at the larger picture (1.4x), so an estimate wandering
 * around the threshold does not flip the size (each flip is a key
 * frame). */
constexpr double kDownBpp = 0.07;
constexpr double kUpBpp = 0.10;
/* Smallest picture a halving may make, and lowest frame rate. */
constexpr int kMinWidth = 160;
constexpr int kMinHeight = 120;
constexpr double kMinFps = 10;
/* An assumed rate for variable-frame-rate input. */
constexpr double kDefaultFps = 30;
/* Least time between two changes: down (the link is full) and up. */
constexpr gint64 kHoldDownUs = 1'000'000;
constexpr gint64 kHoldUpUs = 4'000'000;
constexpr int kTopLevel = 2;

double
bpp(int64_t bps, const Picture &p) {
  double px = double(p.width) * p.height * p.fps;
  return px > 0 ? double(bps) / px : 0;
}

bool
level_possible(const PictureInput &in, int level) {
  if (level <= 0)
    return true;
  Picture p = picture_at(in, level);
  if (p.width < kMinWidth || p.height < kMinHeight)
    return false;
  return level < 2 || p.fps >= kMinFps;
}

} // namespace

Picture
picture_at(const PictureInput &in, int level) {
  Picture p{in.width, in.height, in.fps > 0 ? in.fps : kDefaultFps};
  if (level >= 1) {
    p.width = (in.width / 2) & ~1;
    p.height = (in.height / 2) & ~1;
  }
  if (level >= 2)
    p.fps /= 2;
  return p;
}

int
choose_picture_level(int64_t target_bps, const PictureInput &in, int current) {
  if (in.width <= 0 || in.height <= 0 || target_bps <= 0)
    return current;
  current = std::clamp(current, 0, kTopLevel);
  while (current > 0 && !level_possible(in, current))
    current--;
  if (current < kTopLevel && level_possible(in, current + 1)
      && bpp(target_bps, picture_at(in, current)) < kDownBpp)
    return current + 1;
  if (current > 0 && bpp(target_bps, picture_at(in, current - 1)) >= kUpBpp)
    return current - 1;
  return current;
}

PictureScaler::PictureScaler(
    GstElement *scale, GstElement *capsfilter, GstPad *encoder_sink)
    : scale_(scale), capsfilter_(capsfilter), encoder_sink_(encoder_sink) {
  probe_ = gst_pad_add_probe(encoder_sink_, GST_PAD_PROBE_TYPE_BUFFER, drop_cb,
      new std::shared_ptr<Drop>(drop_),
      [](gpointer data) { delete static_cast<std::shared_ptr<Drop> *>(data); });
}

PictureScaler::~PictureScaler() {
  if (probe_)
    gst_pad_remove_probe(encoder_sink_, probe_);
}

GstPadProbeReturn
PictureScaler::drop_cb(GstPad *, GstPadProbeInfo *info, gpointer data) {
  Drop *self = static_cast<std::shared_ptr<Drop> *>(data)->get();
  gint64 gap = self->min_gap_ns.load();
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
  GstClockTime pts = buf ? GST_BUFFER_PTS(buf) : GST_CLOCK_TIME_NONE;
  if (gap <= 0 || !GST_CLOCK_TIME_IS_VALID(pts)) {
    self->last_pts.store(pts);
    return GST_PAD_PROBE_OK;
  }
  guint64 last = self->last_pts.load();
  /* A quarter of the gap's slack: a camera's jitter must not drop two
   * frames in a row. */
  if (GST_CLOCK_TIME_IS_VALID(last) && pts > last
      && pts - last < static_cast<guint64>(gap - gap / 4))
    return GST_PAD_PROBE_DROP;
  self->last_pts.store(pts);
  return GST_PAD_PROBE_OK;
}

PictureInput
PictureScaler::input() const {
  PictureInput in;
  g_autoptr(GstPad) sink = gst_element_get_static_pad(scale_, "sink");
  g_autoptr(GstCaps) caps = sink ? gst_pad_get_current_caps(sink) : nullptr;
  GstVideoInfo info;
  if (!caps || !gst_video_info_from_caps(&info, caps))
    return in;
  in.width = GST_VIDEO_INFO_WIDTH(&info);
  in.height = GST_VIDEO_INFO_HEIGHT(&info);
  if (GST_VIDEO_INFO_FPS_N(&info) > 0 && GST_VIDEO_INFO_FPS_D(&info) > 0)
    in.fps = double(GST_VIDEO_INFO_FPS_N(&info)) / GST_VIDEO_INFO_FPS_D(&info);
  return in;
}

bool
PictureScaler::update(int64_t target_bps) {
  PictureInput in = input();
  int want = choose_picture_level(target_bps, in, level_);
  if (want == level_)
    return false;
  gint64 now = g_get_monotonic_time();
  gint64 hold = want > level_ ? kHoldDownUs : kHoldUpUs;
  if (changed_us_ && now - changed_us_ < hold)
    return false;
  Picture p = picture_at(in, want);
  GST_INFO_OBJECT(capsfilter_,
      "%" G_GINT64_FORMAT " bit/s for %dx%d: level %d -> %d (%dx%d, %.1f "
      "frames/s)",
      target_bps, in.width, in.height, level_, want, p.width, p.height, p.fps);
  level_ = want;
  changed_us_ = now;
  GstCaps *caps = want >= 1
                      ? gst_caps_new_simple("video/x-raw", "width", G_TYPE_INT,
                          p.width, "height", G_TYPE_INT, p.height, nullptr)
                      : gst_caps_new_any();
  g_object_set(capsfilter_, "caps", caps, nullptr);
  gst_caps_unref(caps);
  drop_->min_gap_ns.store(
      want >= 2 ? static_cast<gint64>(GST_SECOND / p.fps) : gint64{0});
  return true;
}

Picture
PictureScaler::current() const {
  Picture p;
  g_autoptr(GstCaps) caps = gst_pad_get_current_caps(encoder_sink_);
  GstVideoInfo info;
  if (!caps || !gst_video_info_from_caps(&info, caps))
    return p;
  p.width = GST_VIDEO_INFO_WIDTH(&info);
  p.height = GST_VIDEO_INFO_HEIGHT(&info);
  p.fps
      = GST_VIDEO_INFO_FPS_N(&info) > 0 && GST_VIDEO_INFO_FPS_D(&info) > 0
            ? double(GST_VIDEO_INFO_FPS_N(&info)) / GST_VIDEO_INFO_FPS_D(&info)
            : 0;
  if (gint64 gap = drop_->min_gap_ns.load(); gap > 0)
    p.fps = std::min(p.fps > 0 ? p.fps : kDefaultFps, double(GST_SECOND) / gap);
  return p;
}

} // namespace gws
