/* gst-webrtc-session: one shared encoder branch of webrtcsink.
 *
 * For one input stream and one codec:
 *
 *   input tee -> queue -> [convert -> scale -> caps] -> [encoder] -> [parser]
 *     -> payloader
 *     -> tee -> funnel -> queue (consumer 1) -> webrtcbin 1
 *            -> funnel -> queue (consumer 2) -> webrtcbin 2 ...
 *
 * (the funnel takes lower renditions too, see gws-renditions.h)
 *
 * Every consumer that negotiated this codec for this stream is an output of
 * the same branch: the stream is encoded once, whatever the number of
 * viewers. Pre-encoded input skips convert and encoder. Key frame requests
 * (GstForceKeyUnit from any consumer's webrtcbin, i.e. PLI/FIR) reach the
 * encoder at most once per interval; a request inside the interval is
 * deferred to its end, so a new viewer still gets a picture soon.
 *
 * Threading: create, attach, detach and destruction run on the element's
 * session thread (they change the bin); the key frame limiter runs on
 * streaming threads and the system clock thread. */
#pragma once

#include "gws-codecs.h"
#include "gws-picture-scaler.h"
#include "gws-renditions.h"
#include "gws-rtp-rewriter.h"

#include <gst/gst.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace gws {

class KeyframeLimiter;

/* The application's say over a new branch's elements, called on the
 * session thread after our own settings and before the element is added
 * to the bin (webrtcsink's encoder-setup / payloader-setup signals). */
struct BranchSetup {
  std::function<void(GstElement *encoder)> encoder;
  std::function<void(GstElement *payloader)> payloader;
  /* Encoder factories to prefer over rank (`video-encoders`). */
  std::vector<std::string> preferred_encoders;
};

class EncoderBranch {
 public:
  /* Builds the branch in @bin, brings it to the bin's state and links it to
   * a new src pad of @input_tee. */
  static std::unique_ptr<EncoderBranch> create(GstBin *bin,
      GstElement *input_tee, const CodecInfo &codec, int pt, bool encoded_input,
      const std::string &stream_name, const BranchSetup &setup, GError **error);
  ~EncoderBranch();

  EncoderBranch(const EncoderBranch &) = delete;
  EncoderBranch &operator=(const EncoderBranch &) = delete;

  /* Adds a leaky queue into @webrtc_sink (a webrtcbin sink pad) fed by a new
   * output of the shared tee; what leaves the queue carries the consumer's
   * own RTP identity @rw. Returns an id for detach(), or 0 on failure. */
  guint attach(
      GstPad *webrtc_sink, const std::string &consumer, const RtpRewrite &rw);
  /* Asks the encoder (or the upstream one) for a key frame, rate-limited. */
  void request_keyframe();
  /* The queue of one output (borrowed), to route its messages. */
  GstElement *output_queue(guint output_id) const;
  /* Removes one output; others keep flowing. */
  void detach(guint output_id);

  /* Renditions (gws-renditions.h): this branch holds the outputs; @src
   * (a lower rendition of the same stream and codec) also feeds output
   * @output_id, as rendition @rendition, behind the output's gate. */
  bool add_source(guint output_id, EncoderBranch &src, int rendition);
  /* Unlinks @src from every output (before @src goes). */
  void remove_source(EncoderBranch &src);
  bool has_source(guint output_id, const EncoderBranch &src) const;
  /* Output @output_id passes @rendition from its next key frame on. */
  void switch_output(guint output_id, int rendition);
  /* The rendition output @output_id passes now, -1 if no such output. */
  int output_rendition(guint output_id) const;
  /* The rendition an output is switching to, or -1. */
  int output_pending_rendition(guint output_id) const;
  guint64 output_switches(guint output_id) const;
  guint outputs() const { return static_cast<guint>(outputs_.size()); }
  const CodecInfo &codec() const { return *codec_; }
  int pt() const { return pt_; }
  /* Encoder factory name, or "" for pre-encoded input. */
  const std::string &encoder_factory() const { return encoder_factory_; }
  /* The encoder (borrowed; a child of the bin), nullptr for pre-encoded
   * input. */
  GstElement *encoder() const { return encoder_; }
  /* The picture lowered with the bitrate; nullptr for pre-encoded input,
   * audio and hardware converters. */
  PictureScaler *picture() const { return picture_.get(); }
  guint64 keyframes_forwarded() const;
  guint64 keyframes_dropped() const;

 private:
  EncoderBranch() = default;

  struct Source {
    EncoderBranch *branch;
    GstPad *tee_pad;    /* request pad of branch's tee */
    GstPad *funnel_pad; /* request pad of the output's funnel */
  };
  struct Output {
    guint id;
    GstPad *tee_pad;
    GstElement *funnel;
    GstElement *queue;
    std::shared_ptr<OutputGate> gate;
    std::vector<Source> sources; /* lower renditions */
  };
  GstPad *link_tee(GstElement *tee, GstElement *funnel, GstPad **funnel_pad,
      std::shared_ptr<OutputGate> gate, int rendition);
  void unlink_source(Output &out, const Source &src);
  const Output *find_output(guint id) const;

  GstBin *bin_ = nullptr;
  GstElement *input_tee_ = nullptr;
  GstPad *input_pad_ = nullptr; /* our request pad on input_tee_ */
  GstElement *tee_ = nullptr;
  std::vector<GstElement *> elements_; /* upstream first, tee last */
  std::vector<Output> outputs_;
  guint next_output_ = 1;
  const CodecInfo *codec_ = nullptr;
  int pt_ = 0;
  std::string name_;
  std::string encoder_factory_;
  GstElement *encoder_ = nullptr;
  std::shared_ptr<KeyframeLimiter> limiter_;
  gulong probe_id_ = 0;
  std::unique_ptr<PictureScaler> picture_;
};

} // namespace gws
