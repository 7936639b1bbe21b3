/* gst-webrtc-session: the picture a shared video encoder gets, lowered
 * with its bitrate (congestion control's low end of the ladder).
 *
 * Every encoding video branch of webrtcsink (the top rendition and each
 * lower one, gws-renditions.h) has, between its converter and its encoder:
 *
 *   videoconvert -> videoscale -> capsfilter -> [frame drop probe] encoder
 *
 * The capsfilter is empty (the input's size passes) until the branch's
 * target bitrate leaves too few bits per pixel per frame; then it asks for
 * half the width and height (level 1), and at the very bottom the probe on
 * the encoder's sink pad also drops every other frame (level 2, half the
 * frame rate). The encoder sees new caps and starts again with a key frame
 * of the new size, which every viewer of the branch decodes as an in-band
 * resolution change (same SSRC, no renegotiation). Frames are dropped by a
 * probe, not by videorate: videorate holds each frame until the next
 * arrives (one frame of latency at every level) and would sit in every
 * branch; the encoders congestion control drives (libvpx, x264) take the
 * frame spacing from the timestamps.
 *
 * choose_picture_level() decides (pure function, unit-tested); the
 * thresholds, in bits per pixel per frame, are in the .cpp with why.
 *
 * Threading: update() and the getters run on webrtcsink's session thread;
 * the drop probe runs on the encoder's streaming thread and reads one
 * atomic. */
#pragma once

#include <gst/gst.h>

#include <atomic>
#include <cstdint>
#include <memory>

namespace gws {

/* What a branch's input is: its size and frame rate (0 when variable). */
struct PictureInput {
  int width = 0;
  int height = 0;
  double fps = 0;
};

/* The picture at @level: 0 the input's, 1 half width and height, 2 half
 * width and height at half the frame rate. */
struct Picture {
  int width = 0;
  int height = 0;
  double fps = 0;
};
Picture picture_at(const PictureInput &in, int level);

/* The level a branch should encode at for @target_bps, starting from
 * @current: one step down when the current picture gets fewer than
 * kDownBpp bits per pixel per frame, one step up when the picture above
 * would get at least kUpBpp (hysteresis). Levels a small picture cannot
 * take (under 160x120 after halving, or under 20 frames/s) are skipped. */
int choose_picture_level(
    int64_t target_bps, const PictureInput &in, int current);

class PictureScaler {
 public:
  /* @scale (videoscale), @capsfilter (after it) and @encoder_sink (the
   * encoder's sink pad) are borrowed: the branch's, alive as long as it. */
  PictureScaler(
      GstElement *scale, GstElement *capsfilter, GstPad *encoder_sink);
  ~PictureScaler();
  PictureScaler(const PictureScaler &) = delete;
  PictureScaler &operator=(const PictureScaler &) = delete;

  /* The encoder's new target: changes the picture when its level should
   * change (at most once per kMinHold, each change costs a key frame).
   * Returns true when it changed. */
  bool update(int64_t target_bps);
  int level() const { return level_; }
  /* What the encoder gets now: its caps' size (0 before caps) and the
   * frame rate after the drop. */
  Picture current() const;

 private:
  /* What the drop probe reads: its own, shared with the probe, so a
   * buffer still in the probe when the scaler goes touches no freed
   * memory (removing a probe does not wait for a running callback). */
  struct Drop {
    std::atomic<gint64> min_gap_ns{0}; /* 0: every frame passes */
    std::atomic<guint64> last_pts{GST_CLOCK_TIME_NONE};
  };
  static GstPadProbeReturn drop_cb(
      GstPad *pad, GstPadProbeInfo *info, gpointer data);
  PictureInput input() const;

  GstElement *scale_;
  GstElement *capsfilter_;
  GstPad *encoder_sink_;
  gulong probe_ = 0;
  int level_ = 0;         /* session thread */
  gint64 changed_us_ = 0; /* session thread */
  std::shared_ptr<Drop> drop_ = std::make_shared<Drop>();
};

} // namespace gws
