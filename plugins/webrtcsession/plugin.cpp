/* gst-webrtc-session: the `webrtcsession` plugin (webrtcsink, webrtcsrc). */
#include "gws-janus-signaller.h"
#include "gws-offline-signaller.h"
#include "gws-signaller.h"
#include "gws-whip.h"
#include "gws-webrtc-call.h"
#include "gws-webrtc-sink.h"
#include "gws-webrtc-src.h"

#include <gst/gst.h>

#ifndef PACKAGE
#define PACKAGE "gst-webrtc-session"
#endif

static gboolean
plugin_init(GstPlugin *plugin) {
  gws_signaller_register_builtin(); /* ws(s)://, poll+http(s):// */
  gws_whip_register_schemes();      /* WHIP and WHEP, clients and servers */
  gws_offline_register_schemes();   /* offline: no server */
  gws_janus_register_schemes();     /* janus+ws://, janus+wss:// */
  gboolean ret = FALSE;
  ret |= GST_ELEMENT_REGISTER(webrtcsink, plugin);
  ret |= GST_ELEMENT_REGISTER(webrtcsrc, plugin);
  ret |= GST_ELEMENT_REGISTER(webrtccall, plugin); /* docs/calls.md */
  /* The same elements under names no other plugin set uses: when another
   * installed plugin (gst-plugins-rs' rswebrtc) also registers webrtcsink
   * and webrtcsrc, GStreamer keeps one factory per name, the one scanned
   * last, whatever the ranks; these two always mean ours (docs/elements.md
   * "Element names", tests/coexist). */
  ret |= gst_element_register(
      plugin, "gwswebrtcsink", GST_RANK_NONE, GWS_TYPE_WEBRTC_SINK);
  ret |= gst_element_register(
      plugin, "gwswebrtcsrc", GST_RANK_NONE, GWS_TYPE_WEBRTC_SRC);
  return ret;
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, webrtcsession,
    "WebRTC producer and consumer bins with pluggable signalling", plugin_init,
    "0.1.0", "LGPL", "gst-webrtc-session",
    "https://example.invalid/gst-webrtc-session")
