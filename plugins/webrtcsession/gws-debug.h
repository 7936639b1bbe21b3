/* gst-webrtc-session: a debug category per source file, made on first use.
 *
 * The helpers of the elements (ICE settings, restarts, the start-order
 * wait, ...) are also linked into tests that never load the plugin, so
 * their categories cannot wait for plugin_init. In a .cpp:
 *
 *   GWS_DEBUG_CATEGORY(gws_ice_debug, "gws-ice", "ICE settings ...");
 *   #define GST_CAT_DEFAULT gws_ice_debug()
 *
 * The category is registered once, thread-safely, the first time a line
 * logs through it. docs/elements.md "Debugging" lists them. */
#pragma once

#include <gst/gst.h>

#define GWS_DEBUG_CATEGORY(getter, name, description)                          \
  static GstDebugCategory *getter(void) {                                      \
    static GstDebugCategory *category = [] {                                   \
      GstDebugCategory *c = nullptr;                                           \
      GST_DEBUG_CATEGORY_INIT(c, name, 0, description);                        \
      return c;                                                                \
    }();                                                                       \
    return category;                                                           \
  }
