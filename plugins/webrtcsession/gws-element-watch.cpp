/* gst-webrtc-session: finding elements inside a webrtcbin (see
 * gws-element-watch.h). */
#include "gws-element-watch.h"

namespace gws {

const char *
element_factory_name(GstElement *element) {
  GstElementFactory *f = gst_element_get_factory(element);
  return f ? gst_plugin_feature_get_name(GST_PLUGIN_FEATURE(f)) : "";
}

void
watch_elements(GstElement *bin, void (*fn)(GstElement *element)) {
  g_signal_connect(bin, "deep-element-added",
      G_CALLBACK(+[](GstBin *, GstBin *, GstElement *element, gpointer data) {
        reinterpret_cast<void (*)(GstElement *)>(data)(element);
      }),
      reinterpret_cast<gpointer>(fn));
  GstIterator *it = gst_bin_iterate_recurse(GST_BIN(bin));
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
    fn(GST_ELEMENT(g_value_get_object(&item)));
    g_value_reset(&item);
  }
  g_value_unset(&item);
  gst_iterator_free(it);
}

} // namespace gws
