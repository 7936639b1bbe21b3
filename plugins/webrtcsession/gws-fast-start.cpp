/* gst-webrtc-session: webrtcsrc's first frame without waiting for it (see
 * gws-fast-start.h). */
#include "gws-fast-start.h"

#include "gws-nice-api.h"
#include "gws-srtp-crypto.h"

#include <gio/gio.h>

#include <mutex>
#include <set>
#include <string>

GST_DEBUG_CATEGORY_STATIC(gws_fast_start_debug);
#define GST_CAT_DEFAULT gws_fast_start_debug

namespace gws {

namespace {

void
init_debug() {
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    GST_DEBUG_CATEGORY_INIT(gws_fast_start_debug, "gws-fast-start", 0,
        "webrtcsink/webrtcsrc fast start (jitter buffer start, plugin "
        "preloading)");
    g_once_init_leave(&once, 1);
  }
}

/* Factories already handed to a preload (any thread). */
std::mutex preload_lock; /* leaf; guards `preloaded` */
std::set<std::string> preloaded;

/* The factory of @type (decoder, parser) of the highest rank whose sink
 * accepts all of @caps, as decodebin would pick it for a stream of those
 * caps, or nullptr. Only when none accepts all of them (a decoder that
 * wants a stream format the caps leave open), one that accepts some:
 * otherwise a special-purpose one like vp8alphadecodebin (VP8 with an
 * alpha channel only) would be the pick. */
GstElementFactory *
best_factory(GstElementFactoryListType type, GstCaps *caps) {
  GList *all = gst_element_factory_list_get_elements(type, GST_RANK_MARGINAL);
  GList *fit = gst_element_factory_list_filter(all, caps, GST_PAD_SINK, TRUE);
  if (!fit)
    fit = gst_element_factory_list_filter(all, caps, GST_PAD_SINK, FALSE);
  gst_plugin_feature_list_free(all);
  fit = g_list_sort(fit, gst_plugin_feature_rank_compare_func);
  GstElementFactory *best
      = fit ? GST_ELEMENT_FACTORY(gst_object_ref(GST_OBJECT(fit->data)))
            : nullptr;
  gst_plugin_feature_list_free(fit);
  return best;
}

/* Loads @factory's plugin and makes its element class (what the first
 * gst_element_factory_make would do besides the instance). */
void
load(GstElementFactory *factory) {
  const char *name = gst_plugin_feature_get_name(GST_PLUGIN_FEATURE(factory));
  {
    std::lock_guard<std::mutex> g(preload_lock);
    if (!preloaded.insert(name).second)
      return;
  }
  gint64 t0 = g_get_monotonic_time();
  GstPluginFeature *loaded
      = gst_plugin_feature_load(GST_PLUGIN_FEATURE(factory));
  if (!loaded) {
    GST_DEBUG("could not load %s", name);
    return;
  }
  GType type
      = gst_element_factory_get_element_type(GST_ELEMENT_FACTORY(loaded));
  if (type != G_TYPE_INVALID)
    g_type_class_unref(
        g_type_class_ref(type)); /* a static type's class stays */
  gst_object_unref(loaded);
  GST_DEBUG("preloaded %s in %" G_GINT64_FORMAT " us", name,
      g_get_monotonic_time() - t0);
}

void
load_by_name(const char *name) {
  if (!name)
    return;
  GstElementFactory *f = gst_element_factory_find(name);
  if (!f)
    return;
  load(f);
  gst_object_unref(f);
}

void
preload_codecs(GTask *, gpointer, gpointer data, GCancellable *) {
  auto *codecs = static_cast<std::vector<const CodecInfo *> *>(data);
  load_by_name("decodebin");
  for (const CodecInfo *codec : *codecs) {
    load_by_name(codec->depayloader);
    load_by_name(codec->parser);
    GstCaps *caps = gst_caps_from_string(codec->encoded_caps);
    for (auto type :
        {GST_ELEMENT_FACTORY_TYPE_PARSER, GST_ELEMENT_FACTORY_TYPE_DECODER}) {
      if (GstElementFactory *f = best_factory(type, caps)) {
        load(f);
        gst_object_unref(f);
      }
    }
    gst_caps_unref(caps);
  }
}

/* NiceAgent::component-state-changed, on the agent's thread (libnice
 * emits it with its lock released): at the first ready component, paces
 * checks at @normal (ms) again and stops listening. */
void
on_component_state(NiceAgent *agent, guint stream, guint component, guint state,
    gpointer normal) {
  if (state != NICE_COMPONENT_STATE_READY)
    return;
  g_signal_handlers_disconnect_by_func(
      agent, reinterpret_cast<gpointer>(on_component_state), normal);
  g_object_set(agent, "stun-pacing-timer", GPOINTER_TO_UINT(normal), nullptr);
  GST_DEBUG("agent %p: stream %u component %u ready, checks paced at %u ms "
            "again",
      agent, stream, component, GPOINTER_TO_UINT(normal));
}

} // namespace

void
fast_start_tune_ice(GstElement *webrtcbin) {
  init_debug();
  NiceAgent *agent = webrtcbin_nice_agent(webrtcbin);
  if (!agent)
    return;
  guint normal = 0;
  if (is_nice_agent(agent))
    g_object_get(agent, "stun-pacing-timer", &normal, nullptr);
  if (normal > kFastStartIceCheckMs) {
    g_signal_connect(agent, "component-state-changed",
        G_CALLBACK(on_component_state), GUINT_TO_POINTER(normal));
    g_object_set(agent, "stun-pacing-timer", kFastStartIceCheckMs, nullptr);
    GST_DEBUG_OBJECT(webrtcbin,
        "ICE checks paced at %u ms until connected "
        "(then %u ms)",
        kFastStartIceCheckMs, normal);
  }
  g_object_unref(agent);
}

void
fast_start_tune_receiver(GstElement *webrtcbin) {
  init_debug();
  g_autoptr(GstElement) rtpbin
      = gst_bin_get_by_name(GST_BIN(webrtcbin), "rtpbin");
  if (!rtpbin) {
    GST_WARNING_OBJECT(webrtcbin, "no rtpbin inside: jitter buffers wait");
    return;
  }
  g_signal_connect(rtpbin, "new-jitterbuffer",
      G_CALLBACK(+[](GstElement *, GstElement *jb, guint, guint ssrc,
                      gpointer) {
        if (!g_object_class_find_property(
                G_OBJECT_GET_CLASS(jb), "faststart-min-packets"))
          return;
        g_object_set(jb, "faststart-min-packets", kFastStartPackets, nullptr);
        GST_DEBUG_OBJECT(jb, "ssrc %u: starts on %u consecutive packets", ssrc,
            kFastStartPackets);
      }),
      nullptr);
}

void
fast_start_preload_transport() {
  init_debug();
  /* What a webrtcbin 1.22 receiving or sending media makes: its own
   * plugin, rtpbin and the rtx/storage/fec helpers, DTLS-SRTP, the ICE
   * transport, the data channel transport and its app elements. libsrtp's
   * NSS first, so that the srtp plugin's start-up finds it open. */
  srtp_crypto_hold(); /* gws-srtp-crypto.h */
  for (const char *name : {"webrtcbin", "rtpbin", "rtpstorage", "rtprtxsend",
           "rtprtxreceive", "rtpfunnel", "rtpulpfecdec", "rtpreddec",
           "dtlssrtpenc", "dtlssrtpdec", "srtpenc", "srtpdec", "nicesrc",
           "nicesink", "sctpenc", "sctpdec", "appsrc", "appsink"})
    load_by_name(name);
}

void
fast_start_preload(const std::vector<const CodecInfo *> &codecs) {
  init_debug();
  if (codecs.empty())
    return;
  GTask *task = g_task_new(nullptr, nullptr, nullptr, nullptr);
  g_task_set_task_data(
      task, new std::vector<const CodecInfo *>(codecs), [](gpointer d) {
        delete static_cast<std::vector<const CodecInfo *> *>(d);
      });
  g_task_run_in_thread(task, preload_codecs);
  g_object_unref(task);
}

} // namespace gws
