/* gst-webrtc-session: webrtcsrc's outputs (see gws-webrtc-src-private.h).
 *
 * Every exposed pad is a ghost of an input-selector. Each connection of
 * the session (the first, then one per restart) feeds it through its own
 * chain (depayloader, then parser or decodebin). A new connection's chain
 * becomes the active one when its first buffer reaches the selector: the
 * switch happens on a decoded frame (a key frame), so the output never
 * shows the new connection's first undecodable frames, and the old chain
 * keeps the output alive until then. */
#include <algorithm>

#include "gws-webrtc-src-private.h"

#define GST_CAT_DEFAULT gws_webrtc_src_debug

namespace gws {

namespace {

struct FlowProbe {
  SrcPrivate *priv;
  Output *output;
  guint gen;
};

bool
downstream_wants_encoded(GstPad *ghost, const CodecInfo &codec) {
  g_autoptr(GstCaps) peer = gst_pad_peer_query_caps(ghost, nullptr);
  if (!peer)
    return false;
  bool encoded = false;
  if (!gst_caps_is_any(peer) && !gst_caps_is_empty(peer)) {
    g_autoptr(GstCaps) raw = gst_caps_from_string(codec.kind == MediaKind::Video
                                                      ? "video/x-raw(ANY)"
                                                      : "audio/x-raw(ANY)");
    g_autoptr(GstCaps) enc = gst_caps_from_string(codec.encoded_caps);
    encoded = !gst_caps_can_intersect(peer, raw)
              && gst_caps_can_intersect(peer, enc);
  }
  GST_DEBUG_OBJECT(ghost, "downstream accepts %" GST_PTR_FORMAT ": %s", peer,
      encoded ? "encoded" : "raw");
  return encoded;
}

/* First buffer of a chain at the selector: make it the active input. */
GstPadProbeReturn
flow_probe(GstPad *pad, GstPadProbeInfo *, gpointer data) {
  auto *fp = static_cast<FlowProbe *>(data);
  SrcPrivate *priv = fp->priv;
  bool first = false;
  GstElement *selector = nullptr; /* a ref, when switching */
  {
    std::lock_guard<std::mutex> g(priv->lock);
    for (auto &c : fp->output->chains) {
      if (c.selector_pad == pad && !c.flowing) {
        c.flowing = true;
        first = true;
        /* Never go back to an older connection. */
        if (fp->gen >= fp->output->active_gen) {
          fp->output->active_gen = fp->gen;
          selector = GST_ELEMENT(gst_object_ref(fp->output->selector));
        }
      }
    }
  }
  if (!first)
    return GST_PAD_PROBE_REMOVE;
  if (selector) {
    g_object_set(selector, "active-pad", pad, nullptr);
    gst_object_unref(selector);
    GST_INFO_OBJECT(pad, "output now fed by connection %u", fp->gen);
  }
  guint gen = fp->gen;
  priv->loop.post([priv, gen]() { priv->on_output_flowing(gen); });
  return GST_PAD_PROBE_REMOVE;
}

/* The last PTS an output pushed. Around a switch the old and the new
 * connection's streaming threads may both be in output_probe. */
struct LastPts {
  std::mutex lock; /* leaf; guards `pts` */
  GstClockTime pts = GST_CLOCK_TIME_NONE;
  std::shared_ptr<FreezeMeter> meter; /* video outputs; its own lock */
};

/* On every buffer an output pushes. All streams share one transport
 * (BUNDLE): a stream nobody linked must not stop the others with
 * not-linked, so its data is dropped. And timestamps continue across a
 * switch: each connection's jitterbuffer derives them from arrival times,
 * so the new one's first frame may be stamped a few ms before the old
 * one's last; they never go back. @data: a LastPts. */
GstPadProbeReturn
output_probe(GstPad *pad, GstPadProbeInfo *info, gpointer data) {
  if (!gst_pad_is_linked(pad))
    return GST_PAD_PROBE_DROP;
  if (!(info->type & GST_PAD_PROBE_TYPE_BUFFER))
    return GST_PAD_PROBE_OK;
  auto *last = static_cast<LastPts *>(data);
  if (last->meter)
    last->meter->on_frame(g_get_monotonic_time());
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
  GstClockTime pts = GST_BUFFER_PTS(buf);
  if (!GST_CLOCK_TIME_IS_VALID(pts))
    return GST_PAD_PROBE_OK;
  std::lock_guard<std::mutex> g(last->lock);
  if (GST_CLOCK_TIME_IS_VALID(last->pts) && pts <= last->pts) {
    buf = gst_buffer_make_writable(buf);
    GST_BUFFER_PTS(buf) = last->pts + 1;
    GST_PAD_PROBE_INFO_DATA(info) = buf;
  }
  last->pts = GST_BUFFER_PTS(buf);
  return GST_PAD_PROBE_OK;
}

/* A new output for connection @gen; published in priv->outputs with its
 * `encoded` and `active_gen` set (under the lock). */
Output *
make_output(SrcPrivate *priv, const CodecInfo &codec, guint index, guint gen) {
  MediaKind kind = codec.kind;
  auto *self = priv->self;
  bool video = kind == MediaKind::Video;
  std::string name = (video ? "video_" : "audio_") + std::to_string(index);
  auto out = std::make_unique<Output>();
  out->kind = kind;
  out->kind_index = index;
  out->selector = gst_element_factory_make("input-selector", nullptr);
  /* Inactive inputs drop their data instead of waiting for the active
   * one's running time: the old connection must never block. */
  g_object_set(out->selector, "sync-streams", FALSE, nullptr);
  gst_bin_add(GST_BIN(self), out->selector);
  gst_element_sync_state_with_parent(out->selector);
  GstPadTemplate *templ = gst_element_class_get_pad_template(
      GST_ELEMENT_GET_CLASS(self), video ? "video_%u" : "audio_%u");
  g_autoptr(GstPad) selsrc = gst_element_get_static_pad(out->selector, "src");
  out->ghost = gst_ghost_pad_new_from_template(name.c_str(), selsrc, templ);
  gst_pad_add_probe(out->ghost,
      static_cast<GstPadProbeType>(
          GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
      output_probe,
      new LastPts{{}, GST_CLOCK_TIME_NONE, video ? out->meter : nullptr},
      [](gpointer d) { delete static_cast<LastPts *>(d); });
  gst_pad_set_active(out->ghost, TRUE);
  gst_element_add_pad(GST_ELEMENT(self), out->ghost); /* app links it now */
  /* Asked once the application has linked the pad. */
  bool encoded = downstream_wants_encoded(out->ghost, codec);
  Output *raw = out.get();
  std::lock_guard<std::mutex> g(priv->lock);
  out->encoded = encoded;
  out->active_gen = gen;
  out->claimed_gen = gen;
  priv->outputs.push_back(std::move(out));
  auto &r = priv->reserved_outputs;
  r.erase(
      std::remove(r.begin(), r.end(), std::make_pair(kind, index)), r.end());
  return raw;
}

void
unlink_chain(SrcPrivate *priv, GstElement *selector, Chain &chain) {
  for (GstElement *e : chain.elements) {
    gst_element_set_locked_state(e, TRUE);
    gst_element_set_state(e, GST_STATE_NULL);
    gst_bin_remove(GST_BIN(priv->self), e);
  }
  if (chain.selector_pad) {
    gst_element_release_request_pad(selector, chain.selector_pad);
    gst_object_unref(chain.selector_pad);
  }
}

/* A new session's stream for an output that went EOS with the previous
 * session (a client whose producer came back): the old chains and their
 * input-selector (which remembers the EOS) go, a fresh selector takes
 * their place behind the same ghost pad, and a flush through the ghost
 * clears the EOS downstream, so the stream continues on the same pad.
 * Streaming thread (the new webrtcbin's pad-added). */
void
restart_output(SrcPrivate *priv, Output &out) {
  std::vector<Chain> old_chains;
  GstElement *old_selector;
  GstElement *selector = gst_element_factory_make("input-selector", nullptr);
  g_object_set(selector, "sync-streams", FALSE, nullptr);
  {
    std::lock_guard<std::mutex> g(priv->lock);
    old_chains.swap(out.chains);
    old_selector = out.selector;
    out.selector = selector;
    out.ended = false;
  }
  for (Chain &c : old_chains)
    unlink_chain(priv, old_selector, c);
  gst_bin_add(GST_BIN(priv->self), selector);
  gst_element_sync_state_with_parent(selector);
  g_autoptr(GstPad) selsrc = gst_element_get_static_pad(selector, "src");
  gst_ghost_pad_set_target(GST_GHOST_PAD(out.ghost), selsrc);
  gst_element_set_locked_state(old_selector, TRUE);
  gst_element_set_state(old_selector, GST_STATE_NULL);
  gst_bin_remove(GST_BIN(priv->self), old_selector);
  /* Into the ghost's internal pad: clears its EOS, the ghost's and
   * downstream's. */
  g_autoptr(GstProxyPad) internal
      = gst_proxy_pad_get_internal(GST_PROXY_PAD(out.ghost));
  gst_pad_send_event(GST_PAD(internal), gst_event_new_flush_start());
  gst_pad_send_event(GST_PAD(internal), gst_event_new_flush_stop(TRUE));
  GST_INFO_OBJECT(out.ghost, "restarted after EOS for a new session");
}

/* The m-line of a webrtcbin src pad (its transceiver's), or -1. */
int
stream_pad_mline(GstPad *pad) {
  int mline = -1;
  if (!g_object_class_find_property(G_OBJECT_GET_CLASS(pad), "transceiver"))
    return mline;
  GstWebRTCRTPTransceiver *trans = nullptr;
  g_object_get(pad, "transceiver", &trans, nullptr);
  if (trans) {
    guint m = G_MAXUINT;
    g_object_get(trans, "mlineindex", &m, nullptr);
    if (m != G_MAXUINT)
      mline = static_cast<int>(m);
    gst_object_unref(trans);
  }
  return mline;
}

} // namespace

void
SrcPrivate::on_stream_pad(guint gen, GstPad *pad) {
  GstCaps *caps = gst_pad_get_current_caps(pad);
  if (!caps)
    caps = gst_pad_query_caps(pad, nullptr);
  const CodecInfo *codec
      = caps && !gst_caps_is_empty(caps)
            ? codec_for_rtp_structure(gst_caps_get_structure(caps, 0))
            : nullptr;
  GST_INFO_OBJECT(
      self, "connection %u: new stream %" GST_PTR_FORMAT, gen, caps);
  if (caps)
    gst_caps_unref(caps);
  if (!codec) {
    GST_ELEMENT_WARNING(self, STREAM, CODEC_NOT_FOUND,
        ("received a stream of an unknown codec; ignoring it"), (nullptr));
    GstElement *sink = gst_element_factory_make("fakesink", nullptr);
    g_object_set(sink, "async", FALSE, "sync", FALSE, nullptr);
    gst_bin_add(GST_BIN(self), sink);
    gst_element_sync_state_with_parent(sink);
    g_autoptr(GstPad) sinkpad = gst_element_get_static_pad(sink, "sink");
    gst_pad_link(pad, sinkpad);
    return;
  }

  /* The k-th video (audio) stream of every connection feeds the k-th
   * video (audio) output: the first output of its kind this connection
   * does not feed yet. A stream a renegotiation adds finds none and gets
   * a new output (gws-webrtc-src-renegotiate.cpp). */
  Output *out = nullptr;
  guint index = 0;
  {
    /* Pick (claim) or reserve under the lock: a connection's streams are
     * revealed on their own streaming threads, maybe at the same time. */
    std::lock_guard<std::mutex> g(lock);
    for (auto &o : outputs) {
      if (o->kind != codec->kind)
        continue;
      index = MAX(index, o->kind_index + 1);
      bool fed = o->claimed_gen == gen;
      for (const Chain &c : o->chains)
        fed = fed || c.gen == gen;
      if (!fed && !out)
        out = o.get();
    }
    for (const auto &r : reserved_outputs)
      if (r.first == codec->kind)
        index = MAX(index, r.second + 1);
    if (out)
      out->claimed_gen = gen;
    else
      reserved_outputs.emplace_back(codec->kind, index);
  }
  bool created = false, ended = false;
  if (out) {
    std::lock_guard<std::mutex> g(lock);
    ended = out->ended;
  }
  if (ended)
    restart_output(this, *out);
  if (!out) {
    out = make_output(this, *codec, index, gen);
    created = true;
  }
  bool encoded;
  GstElement *selector; /* replaced under the lock by restart_output() */
  {
    std::lock_guard<std::mutex> g(lock);
    encoded = out->encoded;
    selector = GST_ELEMENT(gst_object_ref(out->selector));
  }

  Chain chain;
  chain.gen = gen;
  chain.mline = stream_pad_mline(pad);
  GstElement *depay = gst_element_factory_make(codec->depayloader, nullptr);
  if (g_object_class_find_property(
          G_OBJECT_GET_CLASS(depay), "request-keyframe"))
    g_object_set(depay, "request-keyframe", TRUE, nullptr);
  chain.elements.push_back(depay);
  if (encoded) {
    if (codec->parser)
      chain.elements.push_back(
          gst_element_factory_make(codec->parser, nullptr));
  } else {
    chain.elements.push_back(gst_element_factory_make("decodebin", nullptr));
  }
  chain.selector_pad = gst_element_request_pad_simple(selector, "sink_%u");
  gst_object_unref(selector); /* the bin holds it */
  gst_pad_add_probe(chain.selector_pad,
      static_cast<GstPadProbeType>(
          GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
      flow_probe, new FlowProbe{this, out, gen},
      [](gpointer d) { delete static_cast<FlowProbe *>(d); });
  for (GstElement *e : chain.elements)
    gst_bin_add(GST_BIN(self), e);
  for (size_t i = 0; i + 1 < chain.elements.size(); i++)
    gst_element_link(chain.elements[i], chain.elements[i + 1]);
  GstElement *last = chain.elements.back();
  if (encoded || chain.elements.size() == 1) {
    g_autoptr(GstPad) src = gst_element_get_static_pad(last, "src");
    gst_pad_link(src, chain.selector_pad);
  } else {
    g_signal_connect_data(
        last, "pad-added",
        G_CALLBACK(+[](GstElement *, GstPad *dpad, gpointer data) {
          GstPad *selpad = GST_PAD(data);
          if (gst_pad_is_linked(selpad))
            return; /* one stream per decodebin */
          gst_pad_link(dpad, selpad);
        }),
        gst_object_ref(chain.selector_pad),
        [](gpointer d, GClosure *) { gst_object_unref(d); }, GConnectFlags(0));
  }
  for (auto it = chain.elements.rbegin(); it != chain.elements.rend(); ++it)
    gst_element_sync_state_with_parent(*it);
  {
    std::lock_guard<std::mutex> g(lock);
    out->chains.push_back(chain);
  }
  g_autoptr(GstPad) depay_sink = gst_element_get_static_pad(depay, "sink");
  GstPadLinkReturn ret = gst_pad_link(pad, depay_sink);
  if (ret != GST_PAD_LINK_OK)
    GST_ELEMENT_WARNING(self, CORE, NEGOTIATION,
        ("could not link the received %s stream: %s", codec->name,
            gst_pad_link_get_name(ret)),
        (nullptr));
  GST_INFO_OBJECT(self, "connection %u feeds %s (%s, %s)", gen,
      GST_PAD_NAME(out->ghost), codec->name, encoded ? "encoded" : "decoded");
  if (!created)
    return;
  bool all = false;
  {
    std::lock_guard<std::mutex> g(lock);
    all = expected_streams && outputs.size() >= expected_streams
          && !no_more_pads;
    if (all)
      no_more_pads = true;
  }
  if (all)
    gst_element_no_more_pads(GST_ELEMENT(self));
}

void
SrcPrivate::set_expected_streams(guint n) {
  /* Until no-more-pads went out, whichever connection negotiates says how
   * many pads to wait for (a first session may fail before it does). */
  std::lock_guard<std::mutex> g(lock);
  if (!no_more_pads)
    expected_streams = n;
}

bool
SrcPrivate::outputs_switched_to(guint gen) {
  std::lock_guard<std::mutex> g(lock);
  bool any = false;
  for (auto &o : outputs) {
    for (auto &c : o->chains) {
      if (c.gen != gen)
        continue;
      any = true;
      if (o->active_gen != gen)
        return false;
    }
  }
  return any;
}

void
SrcPrivate::remove_chains(guint gen) {
  /* With the selector the chain feeds (restart_output may replace it). */
  std::vector<std::pair<GstElement *, Chain>> gone;
  {
    std::lock_guard<std::mutex> g(lock);
    for (auto &o : outputs) {
      for (auto it = o->chains.begin(); it != o->chains.end();) {
        if (it->gen == gen) {
          gone.emplace_back(GST_ELEMENT(gst_object_ref(o->selector)), *it);
          it = o->chains.erase(it);
        } else {
          ++it;
        }
      }
    }
  }
  for (auto &[selector, chain] : gone) {
    unlink_chain(this, selector, chain);
    gst_object_unref(selector);
  }
}

void
SrcPrivate::send_eos() {
  std::vector<GstElement *> heads;
  {
    std::lock_guard<std::mutex> g(lock);
    for (auto &o : outputs) {
      o->ended = true;
      for (auto &c : o->chains) {
        if (!c.elements.empty())
          heads.push_back(GST_ELEMENT(gst_object_ref(c.elements.front())));
      }
    }
  }
  for (GstElement *e : heads) {
    g_autoptr(GstPad) sink = gst_element_get_static_pad(e, "sink");
    gst_pad_send_event(sink, gst_event_new_eos());
    gst_object_unref(e);
  }
}

void
SrcPrivate::remove_outputs() {
  std::vector<std::unique_ptr<Output>> outs;
  {
    std::lock_guard<std::mutex> g(lock);
    outs.swap(outputs);
    expected_streams = 0;
    no_more_pads = false;
  }
  for (auto &o : outs) {
    for (auto &c : o->chains)
      unlink_chain(this, o->selector, c);
    gst_element_set_locked_state(o->selector, TRUE);
    gst_element_set_state(o->selector, GST_STATE_NULL);
    gst_bin_remove(GST_BIN(self), o->selector);
    gst_pad_set_active(o->ghost, FALSE);
    gst_element_remove_pad(GST_ELEMENT(self), o->ghost);
  }
}

void
SrcPrivate::remove_output(Output *out) {
  std::unique_ptr<Output> gone;
  {
    std::lock_guard<std::mutex> g(lock);
    for (auto it = outputs.begin(); it != outputs.end(); ++it) {
      if (it->get() == out) {
        gone = std::move(*it);
        outputs.erase(it);
        break;
      }
    }
  }
  if (!gone)
    return;
  for (auto &c : gone->chains) {
    /* The webrtcbin pad it took is left unlinked: its late packets are
     * dropped there, so not-linked never reaches the shared transport. */
    if (!c.elements.empty()) {
      g_autoptr(GstPad) sink
          = gst_element_get_static_pad(c.elements.front(), "sink");
      g_autoptr(GstPad) src = gst_pad_get_peer(sink);
      if (src)
        gst_pad_add_probe(
            src,
            static_cast<GstPadProbeType>(
                GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
            [](GstPad *, GstPadProbeInfo *, gpointer) {
              return GST_PAD_PROBE_DROP;
            },
            nullptr, nullptr);
    }
    unlink_chain(this, gone->selector, c);
  }
  /* EOS downstream (webrtcbin's own may not have gone through yet),
   * then the pad goes: pad-removed. */
  g_autoptr(GstProxyPad) internal
      = gst_proxy_pad_get_internal(GST_PROXY_PAD(gone->ghost));
  gst_pad_send_event(GST_PAD(internal), gst_event_new_eos());
  gst_element_set_locked_state(gone->selector, TRUE);
  gst_element_set_state(gone->selector, GST_STATE_NULL);
  gst_bin_remove(GST_BIN(self), gone->selector);
  GST_INFO_OBJECT(self, "output %s removed", GST_PAD_NAME(gone->ghost));
  gst_pad_set_active(gone->ghost, FALSE);
  gst_element_remove_pad(GST_ELEMENT(self), gone->ghost);
}

} // namespace gws
