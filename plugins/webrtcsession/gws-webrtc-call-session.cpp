/* gst-webrtc-session: webrtccall's call: the signaller, the one peer
 * connection and the received streams (see gws-webrtc-call-private.h and
 * docs/calls.md).
 *
 * The sending half of a call is a ConsumerSession, the class webrtcsink
 * uses for each consumer, with sendrecv instead of sendonly m-lines; we are
 * its Host, as webrtcsink is. The callee offers (it is the relay's
 * producer), the caller answers (it is the consumer that asked for the
 * session); both send and both receive on the same m-lines. */
#include "gws-webrtc-call-private.h"

#include "gws-local-addresses.h"
#include "gws-network-check.h"
#include "gws-webrtcbin-events.h"

#include <algorithm>

#define GST_CAT_DEFAULT gws_webrtc_call_debug

namespace gws {

namespace {

/* The codecs input @in can be sent as, in our order: every codec with an
 * encoder for raw input, the input's own codec for pre-encoded input. */
std::vector<const CodecInfo *>
input_codecs(const CallInput &in, GstCaps *caps) {
  const GstStructure *st = gst_caps_get_structure(caps, 0);
  if (gst_structure_has_name(st, "video/x-raw")
      || gst_structure_has_name(st, "audio/x-raw"))
    return default_encode_order(in.kind);
  const CodecInfo *c = codec_for_encoded_caps(caps);
  if (c)
    return {c};
  return {};
}

} // namespace

CallPrivate::~CallPrivate() {
  if (signaller)
    g_object_unref(signaller);
  if (G_IS_VALUE(&data_channels))
    g_value_unset(&data_channels);
}

/* ---- ConsumerSession::Host ---- */

void
CallPrivate::send_sdp(
    const std::string &id, const GstWebRTCSessionDescription *desc) {
  if (signaller)
    gws_signaller_send_sdp(signaller, id.c_str(), desc);
}

void
CallPrivate::send_ice(
    const std::string &id, guint mline, const std::string &candidate) {
  if (signaller)
    gws_signaller_add_ice(signaller, id.c_str(),
        candidate.empty() ? nullptr : candidate.c_str(), mline, nullptr);
}

void
CallPrivate::with_connection(const std::string &id, guint gen,
    std::function<void(ConsumerSession &)> fn) {
  loop.post([this, id, gen, fn]() {
    if (!call || call->id != id)
      return;
    if (ConsumerSession *c = call->conns.find(gen))
      fn(*c);
  });
}

guint
CallPrivate::link_stream(size_t index, const CodecInfo &codec, GstPad *pad,
    const RtpRewrite &rw, const std::string &session_id, guint gen) {
  Call *c = linked_call();
  if (!c || index >= c->inputs.size())
    return 0;
  CallInput &in = *c->inputs[index];
  auto it = in.branches.find(&codec);
  if (it == in.branches.end()) {
    GstCaps *caps = nullptr;
    {
      std::lock_guard<std::mutex> g(lock);
      caps = in.caps ? gst_caps_ref(in.caps) : nullptr;
    }
    bool encoded = caps && codec_for_encoded_caps(caps) != nullptr;
    if (caps)
      gst_caps_unref(caps);
    GError *err = nullptr;
    auto branch = EncoderBranch::create(GST_BIN(self), in.tee, codec,
        in.pts.at(&codec), encoded, in.name, BranchSetup{}, &err);
    if (!branch) {
      GST_ELEMENT_WARNING(
          self, CORE, NEGOTIATION, ("%s", err->message), (nullptr));
      g_clear_error(&err);
      return 0;
    }
    it = in.branches.emplace(&codec, std::move(branch)).first;
  }
  guint out = it->second->attach(pad, connection_name(session_id, gen), rw);
  gst_element_post_message(
      GST_ELEMENT(self), gst_message_new_latency(GST_OBJECT(self)));
  return out;
}

void
CallPrivate::unlink_stream(size_t index, const CodecInfo &codec, guint output) {
  Call *c = linked_call();
  if (!c || index >= c->inputs.size())
    return;
  auto &branches = c->inputs[index]->branches;
  auto it = branches.find(&codec);
  if (it == branches.end())
    return;
  it->second->detach(output);
  /* Between calls nothing is encoded (as webrtcsink without viewers). */
  if (it->second->outputs() == 0)
    branches.erase(it);
}

void
CallPrivate::request_keyframe(
    size_t index, const CodecInfo &codec, guint /* no renditions */) {
  Call *c = linked_call();
  if (!c || index >= c->inputs.size())
    return;
  auto &branches = c->inputs[index]->branches;
  auto it = branches.find(&codec);
  if (it != branches.end())
    it->second->request_keyframe();
}

void
CallPrivate::fail_connection(
    const std::string &id, guint gen, const std::string &reason) {
  loop.post([this, id, gen, reason]() {
    if (call && call->id == id)
      on_connection_failed(gen, reason);
  });
}

/* ---- received streams (streaming threads) ---- */

void
CallPrivate::on_src_pad(const std::string &id, guint gen, GstPad *pad) {
  GstCaps *caps = gst_pad_get_current_caps(pad);
  if (!caps)
    caps = gst_pad_query_caps(pad, nullptr);
  const CodecInfo *codec
      = caps && !gst_caps_is_empty(caps)
            ? codec_for_rtp_structure(gst_caps_get_structure(caps, 0))
            : nullptr;
  GST_INFO_OBJECT(
      self, "call %s: received stream %" GST_PTR_FORMAT, id.c_str(), caps);
  if (caps)
    gst_caps_unref(caps);
  GstElement *depay
      = codec && codec_can_receive(*codec)
            ? gst_element_factory_make(codec->depayloader, nullptr)
            : nullptr;
  if (!depay) {
    GST_ELEMENT_WARNING(self, STREAM, CODEC_NOT_FOUND,
        ("the other side of the call sends a stream we cannot decode; "
         "ignoring it"),
        (nullptr));
    GstElement *sink = gst_element_factory_make("fakesink", nullptr);
    g_object_set(sink, "async", FALSE, "sync", FALSE, nullptr);
    gst_bin_add(GST_BIN(self), sink);
    gst_element_sync_state_with_parent(sink);
    g_autoptr(GstPad) sinkpad = gst_element_get_static_pad(sink, "sink");
    gst_pad_link(pad, sinkpad);
    CallOutput dropped;
    dropped.gen = gen;
    dropped.elements = {sink};
    std::lock_guard<std::mutex> g(lock);
    outputs.push_back(dropped);
    return;
  }
  if (g_object_class_find_property(
          G_OBJECT_GET_CLASS(depay), "request-keyframe"))
    g_object_set(depay, "request-keyframe", TRUE, nullptr);
  GstElement *decode = gst_element_factory_make("decodebin", nullptr);
  CallOutput out;
  out.gen = gen;
  out.elements = {depay, decode};
  bool video = codec->kind == MediaKind::Video;
  struct Expose {
    CallPrivate *priv;
    guint gen;
    bool video;
  };
  g_signal_connect_data(
      decode, "pad-added",
      G_CALLBACK(+[](GstElement *, GstPad *dpad, gpointer data) {
        auto *e = static_cast<Expose *>(data);
        e->priv->expose(dpad, e->gen, e->video);
      }),
      new Expose{this, gen, video},
      [](gpointer d, GClosure *) { delete static_cast<Expose *>(d); },
      GConnectFlags(0));
  {
    std::lock_guard<std::mutex> g(lock);
    outputs.push_back(out);
  }
  gst_bin_add_many(GST_BIN(self), depay, decode, nullptr);
  gst_element_link(depay, decode);
  gst_element_sync_state_with_parent(decode);
  gst_element_sync_state_with_parent(depay);
  g_autoptr(GstPad) depay_sink = gst_element_get_static_pad(depay, "sink");
  if (gst_pad_link(pad, depay_sink) != GST_PAD_LINK_OK)
    GST_WARNING_OBJECT(self, "could not link the received stream");
}

void
CallPrivate::expose(GstPad *dpad, guint gen, bool video) {
  /* A stream nobody shows (an older connection's, once its pad follows a
   * newer one) is dropped here: not-linked must never reach its
   * webrtcbin's shared transport. */
  gst_pad_add_probe(
      dpad,
      static_cast<GstPadProbeType>(
          GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST),
      [](GstPad *pad, GstPadProbeInfo *, gpointer) {
        return gst_pad_is_linked(pad) ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
      },
      nullptr, nullptr);
  GstPadTemplate *templ
      = gst_element_class_get_pad_template(GST_ELEMENT_GET_CLASS(self),
          video ? "remote_video_%u" : "remote_audio_%u");
  GstPad *ghost = nullptr;
  bool created = false, stale = false;
  guint index;
  {
    std::lock_guard<std::mutex> g(lock);
    auto &pads = video ? pads_video : pads_audio;
    auto &counts = next_out[gen];
    guint &n = video ? counts.first : counts.second;
    index = n++;
    if (index < pads.size()) {
      /* Never back to an older connection. */
      stale = pads[index].gen > gen;
      if (!stale) {
        pads[index].gen = gen;
        ghost = GST_PAD(gst_object_ref(pads[index].ghost));
      }
    } else {
      std::string name = std::string(video ? "remote_video_" : "remote_audio_")
                         + std::to_string(index);
      ghost = gst_ghost_pad_new_no_target_from_template(name.c_str(), templ);
      gst_object_ref_sink(ghost);
      pads.push_back(RemotePad{GST_PAD(gst_object_ref(ghost)), gen});
      created = true;
    }
  }
  if (stale) {
    GST_INFO_OBJECT(self,
        "connection %u: %s stream %u is older than what its pad shows", gen,
        video ? "video" : "audio", index);
    return;
  }
  /* A restart: the pad now shows the new connection's decoded stream
   * (its first frame comes next); the old decoder's output is dropped
   * above until its connection closes. */
  if (!gst_ghost_pad_set_target(GST_GHOST_PAD(ghost), dpad))
    GST_WARNING_OBJECT(self,
        "connection %u: could not show %" GST_PTR_FORMAT " on %" GST_PTR_FORMAT,
        gen, dpad, ghost);
  if (created) {
    gst_pad_set_active(ghost, TRUE);
    gst_element_add_pad(GST_ELEMENT(self), ghost);
  } else if (GST_PAD_IS_EOS(ghost)) {
    /* The pad of an earlier call that ended with EOS (the element was
     * done, then started again): the EOS is flushed from it and
     * downstream, and the stream goes on. */
    g_autoptr(GstProxyPad) internal
        = gst_proxy_pad_get_internal(GST_PROXY_PAD(ghost));
    gst_pad_send_event(GST_PAD(internal), gst_event_new_flush_start());
    gst_pad_send_event(GST_PAD(internal), gst_event_new_flush_stop(FALSE));
  }
  g_autofree gchar *name = gst_pad_get_name(ghost);
  gst_object_unref(ghost);
  GST_INFO_OBJECT(self, "connection %u: %s %s", gen,
      created ? "exposing" : "continuing on", name);
}

void
CallPrivate::remove_pads() {
  std::vector<RemotePad> pads;
  {
    std::lock_guard<std::mutex> g(lock);
    pads.swap(pads_video);
    pads.insert(pads.end(), pads_audio.begin(), pads_audio.end());
    pads_audio.clear();
  }
  for (RemotePad &p : pads) {
    gst_element_remove_pad(GST_ELEMENT(self), p.ghost);
    gst_object_unref(p.ghost);
  }
}

void
CallPrivate::remove_chains(guint gen) {
  std::vector<GstElement *> gone;
  {
    std::lock_guard<std::mutex> g(lock);
    for (auto it = outputs.begin(); it != outputs.end();) {
      if (it->gen == gen) {
        gone.insert(gone.end(), it->elements.begin(), it->elements.end());
        it = outputs.erase(it);
      } else {
        ++it;
      }
    }
    next_out.erase(gen);
  }
  for (GstElement *e : gone) {
    gst_element_set_locked_state(e, TRUE);
    gst_element_set_state(e, GST_STATE_NULL);
    gst_bin_remove(GST_BIN(self), e);
  }
}

void
CallPrivate::remove_outputs() {
  std::vector<CallOutput> old;
  {
    std::lock_guard<std::mutex> g(lock);
    old.swap(outputs);
    next_out.clear();
  }
  for (CallOutput &o : old) {
    for (GstElement *e : o.elements) {
      gst_element_set_locked_state(e, TRUE);
      gst_element_set_state(e, GST_STATE_NULL);
      gst_bin_remove(GST_BIN(self), e);
    }
  }
  keep_sink_flag();
}

/* ---- the call (session thread) ---- */

void
CallPrivate::keep_sink_flag() {
  /* GstBin flags us after our children: a webrtcbin brings a source
   * (nicesrc) and its removal takes the last sink away. We stay a sink
   * whose EOS the pipeline waits for (the call is over), never a source. */
  GST_OBJECT_FLAG_UNSET(self, GST_ELEMENT_FLAG_SOURCE);
  GST_OBJECT_FLAG_SET(self, GST_ELEMENT_FLAG_SINK);
}

void
CallPrivate::post_call_message(const char *name, const Call &c,
    const char *extra, const std::string &value) {
  GstStructure *s = gst_structure_new(name, "session-id", G_TYPE_STRING,
      c.id.c_str(), "peer-id", G_TYPE_STRING, c.peer.c_str(), "outgoing",
      G_TYPE_BOOLEAN, c.outgoing, nullptr);
  if (extra)
    gst_structure_set(s, extra, G_TYPE_STRING, value.c_str(), nullptr);
  gst_element_post_message(
      GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
}

void
CallPrivate::on_session_requested(
    const std::string &id, const std::string &peer, DescPtr offer) {
  if (call) {
    GST_INFO_OBJECT(self, "call from %s while in a call with %s: busy",
        peer.c_str(), call->peer.c_str());
    if (signaller)
      gws_signaller_end_session_with_reason(
          signaller, id.c_str(), "busy: in another call");
    Call busy(nullptr);
    busy.id = id;
    busy.peer = peer;
    post_call_message("gws-call-refused", busy, "reason", "busy");
    return;
  }
  call = new_call();
  call->id = id;
  call->peer = peer;
  call->gen = ++calls;
  call->offer = offer;
  GwsCallIncoming mode;
  {
    std::lock_guard<std::mutex> g(lock);
    mode = incoming;
  }
  GST_INFO_OBJECT(self, "incoming call %s from %s", id.c_str(), peer.c_str());
  post_call_message("gws-call-incoming", *call, nullptr, "");
  g_signal_emit(self, gws_webrtc_call_signals[CALL_SIGNAL_INCOMING_CALL], 0,
      id.c_str(), peer.c_str());
  if (!call || call->id != id || call->answered)
    return; /* the handler answered or refused */
  if (mode == GWS_CALL_INCOMING_ACCEPT)
    answer(id);
  else if (mode == GWS_CALL_INCOMING_REFUSE)
    refuse(id, "call refused");
}

void
CallPrivate::on_session_started(
    const std::string &id, const std::string &peer) {
  if (call) {
    GST_WARNING_OBJECT(
        self, "a second session %s while calling: ignored", id.c_str());
    return;
  }
  call = new_call();
  call->id = id;
  call->peer = peer;
  call->outgoing = true;
  call->gen = ++calls;
  GST_INFO_OBJECT(self, "calling %s (session %s)", peer.c_str(), id.c_str());
  post_call_message("gws-call-ringing", *call, nullptr, "");
}

bool
CallPrivate::answer(const std::string &id) {
  if (!call || call->outgoing || call->answered
      || (!id.empty() && id != call->id))
    return false;
  call->answered = true;
  GST_INFO_OBJECT(
      self, "answering call %s from %s", call->id.c_str(), call->peer.c_str());
  post_call_message("gws-call-answered", *call, nullptr, "");
  connect_call();
  return true;
}

bool
CallPrivate::refuse(const std::string &id, const std::string &reason) {
  if (!call || call->outgoing || call->answered
      || (!id.empty() && id != call->id))
    return false;
  std::unique_ptr<Call> c = std::move(call);
  GST_INFO_OBJECT(self, "refusing call %s from %s: %s", c->id.c_str(),
      c->peer.c_str(), reason.c_str());
  if (signaller)
    gws_signaller_end_session_with_reason(
        signaller, c->id.c_str(), reason.c_str());
  post_call_message("gws-call-refused", *c, "reason", reason);
  return true;
}

bool
CallPrivate::make_offers(const std::vector<std::shared_ptr<CallInput>> &ins,
    const ConsumerSession *like, std::vector<StreamOffer> *offers,
    std::string *error) {
  for (size_t i = 0; i < ins.size(); i++) {
    const auto &in = ins[i];
    GstCaps *caps = nullptr;
    {
      std::lock_guard<std::mutex> g(lock);
      caps = in->caps ? gst_caps_ref(in->caps) : nullptr;
    }
    if (!caps) {
      *error = "no caps on " + in->name;
      return false;
    }
    StreamOffer so;
    so.name = in->name;
    so.kind = in->kind;
    so.receive = true;
    /* A restart keeps each stream's codec: the shared encoder goes on and
     * the other side's decoder sees the same stream. */
    const CodecInfo *keep = like ? like->stream_codec(i) : nullptr;
    for (const CodecInfo *c : input_codecs(*in, caps)) {
      if (!keep || c == keep)
        so.codecs.emplace_back(c, in->pts.at(c));
    }
    gst_caps_unref(caps);
    if (so.codecs.empty()) {
      *error = "cannot send " + in->name + ": no encoder for it";
      return false;
    }
    offers->push_back(std::move(so));
  }
  return true;
}

size_t
CallPrivate::inputs_fitting(const std::vector<std::shared_ptr<CallInput>> &ins,
    const GstSDPMessage *offer) {
  size_t fit = 0;
  while (fit < ins.size() && fit < gst_sdp_message_medias_len(offer)
         && g_strcmp0(
                gst_sdp_media_get_media(gst_sdp_message_get_media(offer, fit)),
                media_kind_name(ins[fit]->kind))
                == 0)
    fit++;
  return fit;
}

std::unique_ptr<ConsumerSession>
CallPrivate::make_connection(Call &c, const ConsumerSession *like,
    std::string *error, size_t max_streams) {
  std::vector<std::shared_ptr<CallInput>> ins = c.inputs;
  if (ins.size() > max_streams)
    ins.resize(max_streams);
  std::vector<StreamOffer> offers;
  if (!make_offers(ins, like, &offers, error))
    return nullptr;
  IceConfig ice_now;
  {
    std::lock_guard<std::mutex> g(lock);
    ice_now = ice;
  }
  if (like) {
    /* A restart gathers only on addresses whose interface is up: a pair
     * from an address on the link that just went down may still carry
     * packets (the kernel routes them over another link), but the path
     * monitor takes the OS's word that its address is gone and restarts
     * again (seen in tests/call restart-path-cut). */
    std::vector<std::string> up;
    for (const auto &a : ice_now.addresses) {
      if (local_address_present(a))
        up.push_back(a);
    }
    if (!up.empty() && up.size() != ice_now.addresses.size()) {
      GST_INFO_OBJECT(self,
          "call %s: the restart leaves out %zu local "
          "addresses that are down",
          c.id.c_str(), ice_now.addresses.size() - up.size());
      ice_now.addresses = up;
    }
  }
  auto conn = std::make_unique<ConsumerSession>(
      *this, c.id, c.peer, offers, ++connections);
  GError *err = nullptr;
  if (!conn->prepare(ice_now, LossRecovery{}, &err)) {
    std::string why = err ? err->message : "webrtcbin";
    g_clear_error(&err);
    GST_ELEMENT_WARNING(
        self, CORE, MISSING_PLUGIN, ("%s", why.c_str()), (nullptr));
    *error = "call failed: " + why;
    return nullptr;
  }
  {
    std::lock_guard<std::mutex> g(lock);
    call_webrtcbins[conn->webrtcbin()] = conn->gen();
  }
  if (!c.data)
    make_data(c);
  attach_data(c, *conn);
  return conn;
}

void
CallPrivate::close_connection(std::unique_ptr<ConsumerSession> conn) {
  if (!conn)
    return;
  guint gen = conn->gen();
  Call *c = linked_call();
  if (c && c->data)
    c->data->detach(gen);
  {
    std::lock_guard<std::mutex> g(lock);
    call_webrtcbins.erase(conn->webrtcbin());
  }
  conn.reset(); /* unlinks it from the encoders, stops its webrtcbin */
  remove_chains(gen);
  keep_sink_flag();
}

void
CallPrivate::connect_call() {
  if (call && call->conn()) {
    renegotiate_inputs(); /* an input added during the call */
    return;
  }
  if (!call || !call->answered)
    return;
  if (call->outgoing && !call->offer)
    return;
  std::vector<std::shared_ptr<CallInput>> ins = inputs_now();
  /* Video first, then audio, in pad order: both sides list their m-lines
   * the same way, so the caller's inputs meet the callee's. */
  std::stable_sort(ins.begin(), ins.end(),
      [](const std::shared_ptr<CallInput> &a,
          const std::shared_ptr<CallInput> &b) {
        return a->kind == MediaKind::Video && b->kind != MediaKind::Video;
      });
  {
    std::lock_guard<std::mutex> g(lock);
    for (auto &in : ins) {
      if (!in->caps) {
        GST_DEBUG_OBJECT(self, "call %s: waiting for caps on %s",
            call->id.c_str(), in->name.c_str());
        return; /* the caps event calls us again */
      }
    }
  }
  call->inputs = ins;
  remove_outputs(); /* the last call's */
  /* The caller answers the callee's m-lines with as many of its inputs
   * as fit them (by position and kind); the others are offered once the
   * call is up (renegotiate_inputs()). */
  size_t fit = call->offer ? inputs_fitting(ins, call->offer->sdp) : ins.size();
  if (fit < ins.size())
    GST_INFO_OBJECT(self,
        "call %s: %zu of our %zu inputs fit the callee's offer; the others "
        "are offered once the call is up",
        call->id.c_str(), fit, ins.size());
  std::string error;
  auto conn = make_connection(*call, nullptr, &error, fit);
  if (!conn) {
    end_call(error, true, true);
    return;
  }
  call->conns.start(std::move(conn));
  keep_sink_flag();
  if (call->offer)
    call->conn()->start_answer(call->offer.get());
  else
    call->conn()->start_offer();
  if (!call || !call->conn())
    return; /* failed at once */
  for (auto &[mline, cand] : call->early_candidates)
    call->conn()->on_remote_candidate(mline, cand);
  call->early_candidates.clear();
}

void
CallPrivate::on_description(const std::string &id, DescPtr desc) {
  if (!call || call->id != id)
    return;
  if (desc->type == GST_WEBRTC_SDP_TYPE_ANSWER) {
    if (call->conns.pending() && call->conns.pending()->awaiting_answer())
      call->conns.pending()->on_remote_description(desc.get());
    else if (call->conn())
      call->conn()->on_remote_description(desc.get());
    return;
  }
  if (desc->type != GST_WEBRTC_SDP_TYPE_OFFER)
    return;
  if (call->conn()) {
    /* An offer inside the running call: the other side renegotiates the
     * connection (gws-webrtc-call-renegotiate.cpp) or restarts the call
     * on a new one (gws-webrtc-call-restart.cpp). */
    if (!on_renegotiation_offer(desc))
      on_restart_offer(desc);
    return;
  }
  if (!call->outgoing) {
    GST_WARNING_OBJECT(self,
        "call %s: an offer from the caller before we offered; ignored",
        id.c_str());
    return;
  }
  /* The callee answered our call: its offer carries its media. */
  call->offer = desc;
  call->answered = true;
  post_call_message("gws-call-answered", *call, nullptr, "");
  connect_call();
}

void
CallPrivate::on_candidate(
    const std::string &id, guint mline, const std::string &candidate) {
  if (!call || call->id != id)
    return;
  /* After a restart offer or answer, candidates are the new
   * connection's (docs/protocol.md). */
  ConsumerSession *c
      = call->conns.pending() ? call->conns.pending() : call->conn();
  if (c)
    c->on_remote_candidate(mline, candidate);
  else
    call->early_candidates.emplace_back(mline, candidate);
}

void
CallPrivate::end_call(const std::string &reason, bool by_us, bool tell_remote) {
  if (!call)
    return;
  std::unique_ptr<Call> c = std::move(call);
  GST_INFO_OBJECT(self, "call %s with %s ended (%s): %s", c->id.c_str(),
      c->peer.c_str(), by_us ? "by us" : "by them", reason.c_str());
  if (tell_remote && signaller)
    gws_signaller_end_session_with_reason(
        signaller, c->id.c_str(), reason.c_str());
  GstStructure *s = gst_structure_new("gws-call-ended", "session-id",
      G_TYPE_STRING, c->id.c_str(), "peer-id", G_TYPE_STRING, c->peer.c_str(),
      "outgoing", G_TYPE_BOOLEAN, c->outgoing, "reason", G_TYPE_STRING,
      reason.c_str(), "by", G_TYPE_STRING, by_us ? "local" : "remote",
      "answered", G_TYPE_BOOLEAN, c->answered, nullptr);
  gst_element_post_message(
      GST_ELEMENT(self), gst_message_new_element(GST_OBJECT(self), s));
  /* The channels let go before their connections close. */
  c->data.reset();
  /* A restart's other connections close with their received chains (the
   * pads show the current one's, or are about to); the current one
   * unlinks from the encoders (through us: linked_call()) and stops its
   * webrtcbin, its chains stay (below). */
  closing = c.get();
  c->conns.close_pending();
  c->conns.close_retiring();
  guint last_gen = c->conn() ? c->conn()->gen() : 0;
  std::unique_ptr<ConsumerSession> last = c->conns.take_current();
  if (last) {
    std::lock_guard<std::mutex> g(lock);
    call_webrtcbins.erase(last->webrtcbin());
  }
  last.reset();
  closing = nullptr;
  keep_sink_flag();
  bool inputs_ended = true;
  {
    std::lock_guard<std::mutex> g(lock);
    for (auto &in : inputs)
      inputs_ended = inputs_ended && in->eos;
  }
  if (c->outgoing || inputs_ended) {
    /* We are done (a caller after its call, a callee whose inputs
     * ended): EOS into each received stream's chain (its webrtcbin is
     * gone, nothing else pushes there now). A callee that goes on lets
     * its pads go quiet instead: the next call continues on them, and an
     * EOS would need a flush, which makes the pipeline's sinks preroll
     * again: the pipeline fell back to PAUSED, its live sources stopped,
     * and two pipelines in a call could each wait for the other's
     * frames (tests/call second-call). */
    std::vector<GstElement *> heads;
    std::vector<GstPad *> others; /* pads showing a closed connection */
    {
      std::lock_guard<std::mutex> g(lock);
      for (auto &o : outputs) {
        if (last_gen && o.gen == last_gen && !o.elements.empty())
          heads.push_back(GST_ELEMENT(gst_object_ref(o.elements[0])));
      }
      for (auto *pads : {&pads_video, &pads_audio}) {
        for (auto &p : *pads) {
          if (p.gen != last_gen)
            others.push_back(GST_PAD(gst_object_ref(p.ghost)));
        }
      }
    }
    for (GstElement *e : heads) {
      g_autoptr(GstPad) sink = gst_element_get_static_pad(e, "sink");
      gst_pad_send_event(sink, gst_event_new_eos());
      gst_object_unref(e);
    }
    /* A pad still (or already) showing a restart's other connection,
     * whose chain closed above: its EOS goes in at the pad. */
    for (GstPad *p : others) {
      g_autoptr(GstProxyPad) internal
          = gst_proxy_pad_get_internal(GST_PROXY_PAD(p));
      gst_pad_send_event(GST_PAD(internal), gst_event_new_eos());
      gst_object_unref(p);
    }
  }
  if (c->outgoing && !c->answered) {
    /* The one call a caller is for did not happen: its pipeline cannot do
     * its job (and its sinks, behind pads that never came, would wait for
     * ever). */
    done = true;
    GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND,
        ("call to %s not answered: %s", c->peer.c_str(), reason.c_str()),
        (nullptr));
    return;
  }
  if (c->outgoing || inputs_ended) {
    /* A caller's pipeline ends with its call; a callee's when what it
     * sends has ended. */
    done = c->outgoing;
    gst_element_post_message(
        GST_ELEMENT(self), gst_message_new_eos(GST_OBJECT(self)));
  }
}

void
CallPrivate::teardown() {
  end_call("hung up", true, false);
  remove_outputs();
  remove_pads();
  for (auto &in : inputs_now())
    in->branches.clear();
}

/* ---- signaller ---- */

bool
CallPrivate::start_signaller() {
  std::string u, me, target;
  {
    std::lock_guard<std::mutex> g(lock);
    u = uri;
    me = peer_id;
    target = call_peer;
  }
  GwsSignallerRole role = target.empty() ? GWS_SIGNALLER_ROLE_PRODUCER
                                         : GWS_SIGNALLER_ROLE_CONSUMER;
  GError *err = nullptr;
  GwsSignaller *sig = gws_signaller_new_for_uri(u.c_str(), role, &err);
  if (!sig) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS,
        ("no signaller for uri %s: %s", u.c_str(), err->message), (nullptr));
    g_clear_error(&err);
    return false;
  }
  GObjectClass *k = G_OBJECT_GET_CLASS(sig);
  if (!g_object_class_find_property(k, "peer-id")
      || !g_object_class_find_property(k, "producer-peer-id")) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS,
        ("the signaller of %s cannot place or take calls by peer id: use "
         "the relay (ws://, wss://, poll+http://)",
            u.c_str()),
        (nullptr));
    g_object_unref(sig);
    return false;
  }
  if (!me.empty())
    g_object_set(sig, "peer-id", me.c_str(), nullptr);
  if (!target.empty())
    g_object_set(sig, "producer-peer-id", target.c_str(), nullptr);

  SignallerCallbacks cb;
  cb.session_requested = [this](
                             std::string id, std::string peer, DescPtr offer) {
    loop.post(
        [this, id, peer, offer]() { on_session_requested(id, peer, offer); });
  };
  cb.session_started = [this](std::string id, std::string peer) {
    loop.post([this, id, peer]() { on_session_started(id, peer); });
  };
  cb.session_description = [this](std::string id, DescPtr desc) {
    loop.post([this, id, desc]() { on_description(id, desc); });
  };
  cb.handle_ice = [this](std::string id, guint mline, std::string cand) {
    loop.post([this, id, mline, cand]() { on_candidate(id, mline, cand); });
  };
  cb.session_ended = [this](std::string id, std::string reason) {
    loop.post([this, id, reason]() {
      if (call && call->id == id)
        end_call(
            reason.empty() ? std::string("hung up") : reason, false, false);
    });
  };
  report_signaller_state(cb, GST_ELEMENT(self));
  auto wait = StartWait::attach(cb, GST_ELEMENT(self), loop, sig, 60);
  loop.run_sync([this, wait, sig]() {
    start_wait = wait;
    signaller = GWS_SIGNALLER(g_object_ref(sig));
  });
  link.connect(sig, std::move(cb));
  ticker = loop.every(kPathCheckIntervalMs, [this]() { tick(); });
  loop.run_sync([this]() {
    net_watch
        = std::make_unique<NetWatch>(loop.context(), [this]() { tick(); });
  });
  GST_INFO_OBJECT(self, "%s%s via %s",
      target.empty() ? "waiting for calls" : "calling ", target.c_str(),
      u.c_str());
  gws_signaller_start(sig);
  g_object_unref(sig);
  return true;
}

void
CallPrivate::stop_signaller() {
  GwsSignaller *sig = nullptr;
  loop.run_sync([this, &sig]() {
    if (start_wait)
      start_wait->cancel();
    start_wait.reset();
    /* The other side hears of it before we leave the relay. */
    if (call && signaller)
      gws_signaller_end_session_with_reason(
          signaller, call->id.c_str(), "hung up");
    sig = signaller;
    signaller = nullptr;
  });
  link.disconnect();
  if (sig) {
    gws_signaller_stop(sig);
    g_object_unref(sig);
  }
  loop.cancel(ticker);
  ticker = 0;
  loop.run_sync([this]() { net_watch.reset(); });
}

GstStructure *
CallPrivate::make_stats() {
  GstStructure *st = gst_structure_new("webrtccall-stats", "calls", G_TYPE_UINT,
      calls, "in-call", G_TYPE_BOOLEAN, call != nullptr, nullptr);
  GValue sess = G_VALUE_INIT;
  gst_value_list_init(&sess, 1);
  if (call && call->conn()) {
    const ConsumerSession &c = *call->conn();
    GValue v = G_VALUE_INIT;
    g_value_init(&v, GST_TYPE_STRUCTURE);
    GstStructure *ss = gst_structure_new("session", "id", G_TYPE_STRING,
        call->id.c_str(), "peer-id", G_TYPE_STRING, call->peer.c_str(),
        "outgoing", G_TYPE_BOOLEAN, call->outgoing, "answered", G_TYPE_BOOLEAN,
        call->answered, "codecs", G_TYPE_STRING, c.describe().c_str(),
        "connection", G_TYPE_UINT, c.gen(), "restarts", G_TYPE_UINT,
        call->conns.restart.restarts, "path-state", G_TYPE_STRING,
        path_state_name(call->conns.restart.path), "last-packet-ms",
        G_TYPE_UINT64, c.monitor().silence_ms(g_get_monotonic_time()),
        "packets-received", G_TYPE_UINT64, c.monitor().packets(), nullptr);
    gst_value_set_structure(&v, ss);
    gst_structure_free(ss);
    gst_value_list_append_and_take_value(&sess, &v);
  }
  gst_structure_take_value(st, "sessions", &sess);
  return st;
}

} // namespace gws
