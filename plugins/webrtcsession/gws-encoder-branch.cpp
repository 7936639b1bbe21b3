/* gst-webrtc-session: a shared encoder branch (see gws-encoder-branch.h). */
#include "gws-encoder-branch.h"

#include "gws-encoder-settings.h"
#include "gws-twcc.h"

#include <gst/video/video.h>

#include <atomic>
#include <mutex>

GST_DEBUG_CATEGORY_EXTERN(gws_webrtc_sink_debug);
#define GST_CAT_DEFAULT gws_webrtc_sink_debug

namespace gws {

/* At most one key frame request per interval reaches the encoder. */
static const GstClockTime kKeyframeInterval = 500 * GST_MSECOND;

/* Rate-limits GstForceKeyUnit events going upstream through one pad. A
 * request inside the interval is not lost: one request is replayed when the
 * interval ends. */
class KeyframeLimiter : public std::enable_shared_from_this<KeyframeLimiter> {
 public:
  explicit KeyframeLimiter(GstPad *pad)
      : pad_(GST_PAD(gst_object_ref(pad))), clock_(gst_system_clock_obtain()) {}
  ~KeyframeLimiter() {
    gst_object_unref(clock_);
    gst_object_unref(pad_);
  }

  GstPadProbeReturn on_upstream_event(GstEvent *event);
  /* Pushes a key frame request upstream (through the limiter). */
  void request();
  void stop();

  std::atomic<guint64> forwarded{0};
  std::atomic<guint64> dropped{0};

 private:
  static gboolean on_deferred_cb(
      GstClock *clock, GstClockTime time, GstClockID id, gpointer user_data);

  GstPad *pad_;
  GstClock *clock_;
  /* Guards the fields below. Nearly a leaf: the clock id is scheduled
   * (gst_clock_id_wait_async) and unscheduled with it held, so that a
   * stop() cannot slip between making the id and scheduling it. Safe:
   * GstSystemClock runs the callback (on_deferred_cb, which takes this
   * lock) on its own thread without holding its lock, and neither call
   * waits for a running callback. */
  std::mutex lock_;
  GstClockTime last_ = GST_CLOCK_TIME_NONE;
  GstClockID pending_ = nullptr;
  bool stopped_ = false;
};

GstPadProbeReturn
KeyframeLimiter::on_upstream_event(GstEvent *event) {
  if (!gst_video_event_is_force_key_unit(event)
      || GST_EVENT_TYPE(event) != GST_EVENT_CUSTOM_UPSTREAM)
    return GST_PAD_PROBE_OK;

  GstClockTime now = gst_clock_get_time(clock_);
  std::lock_guard<std::mutex> guard(lock_);
  if (!GST_CLOCK_TIME_IS_VALID(last_) || now >= last_ + kKeyframeInterval) {
    last_ = now;
    forwarded++;
    GST_DEBUG_OBJECT(pad_, "forwarding key frame request");
    return GST_PAD_PROBE_OK;
  }
  dropped++;
  if (!pending_ && !stopped_) {
    pending_ = gst_clock_new_single_shot_id(clock_, last_ + kKeyframeInterval);
    auto *weak = new std::weak_ptr<KeyframeLimiter>(shared_from_this());
    gst_clock_id_wait_async(pending_, on_deferred_cb, weak, [](gpointer data) {
      delete static_cast<std::weak_ptr<KeyframeLimiter> *>(data);
    });
    GST_DEBUG_OBJECT(pad_, "key frame request deferred");
  }
  return GST_PAD_PROBE_DROP;
}

gboolean
KeyframeLimiter::on_deferred_cb(
    GstClock *clock, GstClockTime time, GstClockID id, gpointer user_data) {
  auto self = static_cast<std::weak_ptr<KeyframeLimiter> *>(user_data)->lock();
  if (!self)
    return TRUE;
  {
    std::lock_guard<std::mutex> guard(self->lock_);
    if (self->pending_ == id) {
      gst_clock_id_unref(self->pending_);
      self->pending_ = nullptr;
    }
    if (self->stopped_)
      return TRUE;
  }
  self->request();
  return TRUE;
}

void
KeyframeLimiter::request() {
  gst_pad_push_event(pad_, gst_video_event_new_upstream_force_key_unit(
                               GST_CLOCK_TIME_NONE, TRUE, 0));
}

void
KeyframeLimiter::stop() {
  std::lock_guard<std::mutex> guard(lock_);
  stopped_ = true;
  if (pending_) {
    gst_clock_id_unschedule(pending_);
    gst_clock_id_unref(pending_);
    pending_ = nullptr;
  }
}

static GstElement *
make_named(const char *factory, const std::string &prefix, const char *what) {
  std::string name = prefix + "-" + what;
  return gst_element_factory_make(factory, name.c_str());
}

std::unique_ptr<EncoderBranch>
EncoderBranch::create(GstBin *bin, GstElement *input_tee,
    const CodecInfo &codec, int pt, bool encoded_input,
    const std::string &stream_name, const BranchSetup &setup, GError **error) {
  std::unique_ptr<EncoderBranch> b(new EncoderBranch());
  b->bin_ = bin;
  b->input_tee_ = input_tee;
  b->codec_ = &codec;
  b->pt_ = pt;
  g_autofree gchar *lower = g_ascii_strdown(codec.name, -1);
  b->name_ = stream_name + "-" + lower;

  std::vector<GstElement *> chain;
  GstElement *encoder = nullptr;                      /* in chain */
  GstElement *scale = nullptr, *scale_caps = nullptr; /* in chain */
  GstElement *queue = make_named("queue", b->name_, "queue");
  /* Never block the input (shared by every codec) on one slow encoder. */
  gst_util_set_object_arg(G_OBJECT(queue), "leaky", "downstream");
  g_object_set(queue, "max-size-buffers", 0, "max-size-bytes", 0,
      "max-size-time", G_GUINT64_CONSTANT(200) * GST_MSECOND, nullptr);
  chain.push_back(queue);

  if (!encoded_input) {
    std::string factory;
    GstElement *enc
        = codec_make_encoder(codec, setup.preferred_encoders, &factory);
    const EncoderSettings *row
        = enc ? encoder_settings_lookup(factory.c_str()) : nullptr;
    if (codec.kind == MediaKind::Video) {
      chain.push_back(
          make_named(row && row->converter ? row->converter : "videoconvert",
              b->name_, "convert"));
      /* The picture lowered with the bitrate (gws-picture-scaler.h), for
       * system-memory frames (not a hardware converter's). */
      if (enc && !(row && row->converter)) {
        scale = make_named("videoscale", b->name_, "scale");
        scale_caps = make_named("capsfilter", b->name_, "scalecaps");
        chain.push_back(scale);
        chain.push_back(scale_caps);
      }
    } else {
      chain.push_back(make_named("audioconvert", b->name_, "convert"));
      chain.push_back(make_named("audioresample", b->name_, "resample"));
    }
    if (enc) {
      std::string name = b->name_ + "-encoder";
      gst_element_set_name(enc, name.c_str());
      encoder = enc;
      b->encoder_factory_ = factory;
      b->encoder_ = enc;
      GstCaps *caps = codec_encoder_output_caps(codec, factory.c_str());
      chain.push_back(enc);
      if (caps) {
        GstElement *filter = make_named("capsfilter", b->name_, "caps");
        if (filter)
          g_object_set(filter, "caps", caps, nullptr);
        gst_caps_unref(caps);
        chain.push_back(filter);
      }
    } else {
      chain.push_back(nullptr);
    }
  }
  if (codec.parser)
    chain.push_back(make_named(codec.parser, b->name_, "parse"));
  GstElement *pay = codec_make_payloader(codec, pt);
  if (pay) {
    std::string name = b->name_ + "-pay";
    gst_element_set_name(pay, name.c_str());
    twcc_add_to_payloader(pay); /* numbered per consumer: gws-twcc.h */
  }
  chain.push_back(pay);
  GstElement *tee = make_named("tee", b->name_, "tee");
  if (tee)
    g_object_set(tee, "allow-not-linked", TRUE, nullptr);
  chain.push_back(tee);

  /* Ours (not floating) from here: the application's handlers see them,
   * and a binding may take a reference of its own. */
  for (GstElement *e : chain) {
    if (e)
      gst_object_ref_sink(e);
  }
  for (GstElement *e : chain) {
    if (!e) {
      for (GstElement *o : chain) {
        if (o)
          gst_object_unref(o);
      }
      g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
          "cannot build the %s branch of %s: an encoder, parser or payloader "
          "is missing",
          codec.name, stream_name.c_str());
      return nullptr;
    }
  }

  /* The application's settings, after ours (no lock held: we are on the
   * session thread, called from the element's branch bookkeeping). */
  if (encoder && setup.encoder)
    setup.encoder(encoder);
  if (setup.payloader)
    setup.payloader(pay);
  for (GstElement *e : chain) {
    gst_bin_add(bin, e);
    gst_object_unref(e); /* the bin holds it */
  }
  b->elements_ = chain;
  b->tee_ = tee;
  for (size_t i = 0; i + 1 < chain.size(); i++) {
    if (!gst_element_link(chain[i], chain[i + 1])) {
      g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
          "cannot link %s to %s in the %s branch of %s",
          GST_ELEMENT_NAME(chain[i]), GST_ELEMENT_NAME(chain[i + 1]),
          codec.name, stream_name.c_str());
      return nullptr; /* the destructor removes what was added */
    }
  }

  g_autoptr(GstPad) tee_sink = gst_element_get_static_pad(tee, "sink");
  b->limiter_ = std::make_shared<KeyframeLimiter>(tee_sink);
  b->probe_id_ = gst_pad_add_probe(
      tee_sink, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
      [](GstPad *, GstPadProbeInfo *info, gpointer data) {
        auto *lim = static_cast<std::shared_ptr<KeyframeLimiter> *>(data);
        return (*lim)->on_upstream_event(GST_PAD_PROBE_INFO_EVENT(info));
      },
      new std::shared_ptr<KeyframeLimiter>(b->limiter_),
      [](gpointer data) {
        delete static_cast<std::shared_ptr<KeyframeLimiter> *>(data);
      });

  if (scale && scale_caps && encoder) {
    g_autoptr(GstPad) enc_sink = gst_element_get_static_pad(encoder, "sink");
    b->picture_ = std::make_unique<PictureScaler>(scale, scale_caps, enc_sink);
  }

  /* Downstream first, so nothing flows into an element still stopped. */
  for (auto it = chain.rbegin(); it != chain.rend(); ++it)
    gst_element_sync_state_with_parent(*it);

  b->input_pad_ = gst_element_request_pad_simple(input_tee, "src_%u");
  g_autoptr(GstPad) queue_sink = gst_element_get_static_pad(queue, "sink");
  GstPadLinkReturn ret = gst_pad_link(b->input_pad_, queue_sink);
  if (ret != GST_PAD_LINK_OK) {
    g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_NEGOTIATION,
        "cannot link input %s to its %s encoder: %s", stream_name.c_str(),
        codec.name, gst_pad_link_get_name(ret));
    return nullptr;
  }
  GST_INFO_OBJECT(bin, "created %s branch %s (encoder %s, pt %d)",
      encoded_input ? "pass-through" : "encoding", b->name_.c_str(),
      b->encoder_factory_.empty() ? "none" : b->encoder_factory_.c_str(), pt);
  return b;
}

EncoderBranch::~EncoderBranch() {
  while (!outputs_.empty())
    detach(outputs_.back().id);
  if (input_pad_) {
    /* Waits for a buffer in flight on this pad; other branches go on. */
    gst_element_release_request_pad(input_tee_, input_pad_);
    gst_object_unref(input_pad_);
  }
  if (limiter_)
    limiter_->stop();
  picture_.reset(); /* its probe, before the encoder goes */
  if (probe_id_) {
    g_autoptr(GstPad) tee_sink = gst_element_get_static_pad(tee_, "sink");
    gst_pad_remove_probe(tee_sink, probe_id_);
  }
  for (GstElement *e : elements_) {
    gst_element_set_locked_state(e, TRUE);
    gst_element_set_state(e, GST_STATE_NULL);
    gst_bin_remove(bin_, e);
  }
  GST_INFO_OBJECT(bin_, "removed branch %s", name_.c_str());
}

namespace {

/* The chain functions of a funnel pad that takes an output's share of a
 * shared encoder (see guard_output_pad). */
struct OutputChain {
  GstPadChainFunction chain;
  GstPadChainListFunction chain_list;
};

GQuark
output_chain_quark() {
  static GQuark quark = g_quark_from_static_string("gws-output-chain");
  return quark;
}

GstFlowReturn
absorb_output_error(GstPad *pad, GstFlowReturn ret) {
  if (ret >= GST_FLOW_OK)
    return ret;
  GST_INFO_OBJECT(pad,
      "this output could not push (%s): it drops what its encoder sends "
      "from now on; the other outputs go on",
      gst_flow_get_name(ret));
  return GST_FLOW_OK;
}

GstFlowReturn
output_chain(GstPad *pad, GstObject *parent, GstBuffer *buffer) {
  auto *oc = static_cast<OutputChain *>(
      g_object_get_qdata(G_OBJECT(pad), output_chain_quark()));
  return absorb_output_error(pad, oc->chain(pad, parent, buffer));
}

GstFlowReturn
output_chain_list(GstPad *pad, GstObject *parent, GstBufferList *list) {
  auto *oc = static_cast<OutputChain *>(
      g_object_get_qdata(G_OBJECT(pad), output_chain_quark()));
  return absorb_output_error(pad, oc->chain_list(pad, parent, list));
}

/* One output's failure must never reach the shared encoder: the tee
 * returns the first error any of its pads returns, and the encoder's
 * branch (queue, source) then stops for every consumer. So the funnel pad
 * an output takes its share through (@fpad, not linked yet) returns OK
 * whatever the output returned; the tee pad's probe (link_tee) then drops
 * this output's buffers. Seen: the video output's flush (detach()) went
 * through the retiring connection's bundled transport to its audio output,
 * still linked, whose FLUSHING stopped the audio encoder of the call, and
 * so the audio of the new connection (docs/calls.md). */
void
guard_output_pad(GstPad *fpad) {
  auto *oc
      = new OutputChain{GST_PAD_CHAINFUNC(fpad), GST_PAD_CHAINLISTFUNC(fpad)};
  g_object_set_qdata_full(G_OBJECT(fpad), output_chain_quark(), oc,
      [](gpointer data) { delete static_cast<OutputChain *>(data); });
  if (oc->chain)
    gst_pad_set_chain_function(fpad, output_chain);
  if (oc->chain_list)
    gst_pad_set_chain_list_function(fpad, output_chain_list);
}

} // namespace

GstPad *
EncoderBranch::link_tee(GstElement *tee, GstElement *funnel,
    GstPad **funnel_pad, std::shared_ptr<OutputGate> gate, int rendition) {
  GstPad *tee_pad = gst_element_request_pad_simple(tee, "src_%u");
  GstPad *fpad = gst_element_request_pad_simple(funnel, "sink_%u");
  if (fpad)
    guard_output_pad(fpad);
  if (!tee_pad || !fpad || gst_pad_link(tee_pad, fpad) != GST_PAD_LINK_OK) {
    if (tee_pad) {
      gst_element_release_request_pad(tee, tee_pad);
      gst_object_unref(tee_pad);
    }
    if (fpad) {
      gst_element_release_request_pad(funnel, fpad);
      gst_object_unref(fpad);
    }
    return nullptr;
  }
  install_gate(tee_pad, std::move(gate), rendition);
  /* One consumer's failure must not reach a shared encoder: once this
   * output's funnel could not push (not negotiated, flushing, ...), its tee
   * pad drops buffers (the failing push itself returned OK to the tee,
   * guard_output_pad). */
  GstPad *fsrc = gst_element_get_static_pad(funnel, "src");
  gst_pad_add_probe(
      tee_pad,
      static_cast<GstPadProbeType>(
          GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
      [](GstPad *, GstPadProbeInfo *, gpointer data) {
        GstFlowReturn last = gst_pad_get_last_flow_return(GST_PAD(data));
        return last < GST_FLOW_OK ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
      },
      fsrc, gst_object_unref);
  *funnel_pad = fpad;
  return tee_pad;
}

guint
EncoderBranch::attach(
    GstPad *webrtc_sink, const std::string &consumer, const RtpRewrite &rw) {
  std::string qname = name_ + "-" + consumer + "-queue";
  std::string fname = name_ + "-" + consumer + "-funnel";
  GstElement *queue = gst_element_factory_make("queue", qname.c_str());
  GstElement *funnel = gst_element_factory_make("funnel", fname.c_str());
  if (!queue || !funnel) {
    if (queue)
      gst_object_unref(gst_object_ref_sink(queue));
    if (funnel)
      gst_object_unref(gst_object_ref_sink(funnel));
    return 0;
  }
  gst_util_set_object_arg(G_OBJECT(queue), "leaky", "downstream");
  g_object_set(queue, "max-size-buffers", 0, "max-size-bytes", 0,
      "max-size-time", G_GUINT64_CONSTANT(500) * GST_MSECOND, nullptr);
  gst_bin_add_many(bin_, funnel, queue, nullptr);
  auto drop = [this, funnel, queue]() {
    for (GstElement *e : {queue, funnel}) {
      gst_element_set_state(e, GST_STATE_NULL);
      gst_bin_remove(bin_, e);
    }
  };
  g_autoptr(GstPad) qsrc = gst_element_get_static_pad(queue, "src");
  GstPadLinkReturn ret = gst_element_link(funnel, queue)
                             ? gst_pad_link(qsrc, webrtc_sink)
                             : GST_PAD_LINK_REFUSED;
  if (ret != GST_PAD_LINK_OK) {
    GST_WARNING_OBJECT(bin_, "cannot link %s to %" GST_PTR_FORMAT ": %s",
        qname.c_str(), webrtc_sink, gst_pad_link_get_name(ret));
    drop();
    return 0;
  }
  if (rw.install_before)
    rw.install_before(qsrc);
  install_rtp_rewrite(qsrc, rw); /* before anything flows */
  /* The output runs before it is linked to the tee (see the 1.22 notes). */
  gst_element_sync_state_with_parent(queue);
  gst_element_sync_state_with_parent(funnel);
  auto gate = std::make_shared<OutputGate>(*codec_);
  GstPad *funnel_pad = nullptr;
  GstPad *tee_pad = link_tee(tee_, funnel, &funnel_pad, gate, 0);
  if (!tee_pad) {
    GST_WARNING_OBJECT(bin_, "cannot link %s to its tee", qname.c_str());
    drop();
    return 0;
  }
  gst_object_unref(funnel_pad); /* released with the funnel */
  guint id = next_output_++;
  outputs_.push_back({id, tee_pad, funnel, queue, gate, {}});
  GST_INFO_OBJECT(
      bin_, "%s now feeds %u consumer(s)", name_.c_str(), outputs());
  /* The viewer's key frame is requested once its connection is up
   * (ConsumerSession): one sent now would be lost before DTLS. */
  return id;
}

void
EncoderBranch::unlink_source(Output &out, const Source &src) {
  gst_element_release_request_pad(src.branch->tee_, src.tee_pad);
  gst_object_unref(src.tee_pad);
  gst_element_release_request_pad(out.funnel, src.funnel_pad);
  gst_object_unref(src.funnel_pad);
}

void
EncoderBranch::detach(guint output_id) {
  for (auto it = outputs_.begin(); it != outputs_.end(); ++it) {
    if (it->id != output_id)
      continue;
    Output out = *it;
    outputs_.erase(it);
    for (const Source &src : out.sources)
      unlink_source(out, src);
    gst_element_release_request_pad(tee_, out.tee_pad);
    gst_object_unref(out.tee_pad);
    /* Nothing enters the queue any more. Its streaming thread may still be
     * held downstream, by the leaving consumer's webrtcbin waiting for
     * preroll (the pipeline going to PAUSED), with the stream lock that
     * stopping the queue needs: flush that consumer first. */
    if (GstPad *qsrc = gst_element_get_static_pad(out.queue, "src")) {
      gst_pad_push_event(qsrc, gst_event_new_flush_start());
      gst_object_unref(qsrc);
    }
    for (GstElement *e : {out.queue, out.funnel}) {
      gst_element_set_locked_state(e, TRUE);
      gst_element_set_state(e, GST_STATE_NULL);
      gst_bin_remove(bin_, e);
    }
    GST_INFO_OBJECT(
        bin_, "%s now feeds %u consumer(s)", name_.c_str(), outputs());
    return;
  }
}

const EncoderBranch::Output *
EncoderBranch::find_output(guint id) const {
  for (const auto &o : outputs_) {
    if (o.id == id)
      return &o;
  }
  return nullptr;
}

bool
EncoderBranch::add_source(guint output_id, EncoderBranch &src, int rendition) {
  for (auto &out : outputs_) {
    if (out.id != output_id)
      continue;
    GstPad *funnel_pad = nullptr;
    GstPad *tee_pad
        = link_tee(src.tee_, out.funnel, &funnel_pad, out.gate, rendition);
    if (!tee_pad)
      return false;
    out.sources.push_back({&src, tee_pad, funnel_pad});
    GST_DEBUG_OBJECT(bin_, "%s output %u: %s is rendition %d", name_.c_str(),
        output_id, src.name_.c_str(), rendition);
    return true;
  }
  return false;
}

void
EncoderBranch::remove_source(EncoderBranch &src) {
  for (auto &out : outputs_) {
    for (auto it = out.sources.begin(); it != out.sources.end();) {
      if (it->branch == &src) {
        unlink_source(out, *it);
        it = out.sources.erase(it);
      } else {
        ++it;
      }
    }
  }
}

bool
EncoderBranch::has_source(guint output_id, const EncoderBranch &src) const {
  const Output *out = find_output(output_id);
  if (!out)
    return false;
  for (const auto &s : out->sources) {
    if (s.branch == &src)
      return true;
  }
  return false;
}

void
EncoderBranch::switch_output(guint output_id, int rendition) {
  const Output *out = find_output(output_id);
  if (out)
    out->gate->switch_to(rendition);
}

int
EncoderBranch::output_rendition(guint output_id) const {
  const Output *out = find_output(output_id);
  return out ? out->gate->active() : -1;
}

int
EncoderBranch::output_pending_rendition(guint output_id) const {
  const Output *out = find_output(output_id);
  return out ? out->gate->pending() : -1;
}

guint64
EncoderBranch::output_switches(guint output_id) const {
  const Output *out = find_output(output_id);
  return out ? out->gate->switches() : 0;
}

void
EncoderBranch::request_keyframe() {
  limiter_->request();
}

GstElement *
EncoderBranch::output_queue(guint output_id) const {
  for (const auto &o : outputs_) {
    if (o.id == output_id)
      return o.queue;
  }
  return nullptr;
}

guint64
EncoderBranch::keyframes_forwarded() const {
  return limiter_ ? limiter_->forwarded.load() : 0;
}

guint64
EncoderBranch::keyframes_dropped() const {
  return limiter_ ? limiter_->dropped.load() : 0;
}

} // namespace gws
