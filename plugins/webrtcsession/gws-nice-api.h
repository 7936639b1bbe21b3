/* gst-webrtc-session: the libnice functions this plugin calls, resolved at
 * run time instead of linked.
 *
 * Linking libnice made every process that loads the plugin (a fresh
 * `gst-launch-1.0 webrtcsrc`, a gst-inspect) load it and what it pulls in
 * (gupnp-igd, gupnp, gssdp, libxml2, ICU) on its main thread before the
 * pipeline even starts: ~20 ms of a fresh receiver's ~30 ms plugin load on
 * this machine, on the path to the first frame. webrtcbin needs libnice
 * anyway and loads it with its own plugins, which the elements preload on
 * the DTLS warm-up thread while the signaller connects (gws-fast-start.h);
 * by the time a session makes its webrtcbin, libnice is in the process and
 * nice_api() only looks its functions up.
 *
 * The plugin still compiles against libnice's headers (types, enums,
 * struct fields); only calls go through here. Threading: nice_api() is
 * safe from any thread (resolved once, never unloaded). */
#pragma once

#include <glib-object.h>
#include <gst/gst.h>
#include <nice/nice.h>

namespace gws {

struct NiceApi {
  decltype(&::nice_agent_get_type) agent_get_type;
  decltype(&::nice_agent_add_local_address) agent_add_local_address;
  decltype(&::nice_agent_get_selected_pair) agent_get_selected_pair;
  decltype(&::nice_agent_get_selected_socket) agent_get_selected_socket;
  decltype(&::nice_address_init) address_init;
  decltype(&::nice_address_set_from_string) address_set_from_string;
  decltype(&::nice_address_to_string) address_to_string;
  decltype(&::nice_address_get_port) address_get_port;
  decltype(&::nice_address_equal) address_equal;
  decltype(&::nice_candidate_relay_address) candidate_relay_address;
};

/* libnice's functions (loading libnice if it is not in the process yet),
 * or nullptr when it cannot be loaded or lacks one of them (logged once);
 * webrtcbin cannot work without it either. */
const NiceApi *nice_api();

/* NICE_IS_AGENT() without linking libnice: false when libnice is
 * missing. */
bool is_nice_agent(gpointer object);

/* The NiceAgent behind webrtcbin's ICE object @ice (its "agent" property,
 * GstWebRTCNice in 1.22), a new reference; nullptr when the ICE
 * implementation has none. Any thread. */
NiceAgent *ice_nice_agent(GObject *ice);

/* The same from a webrtcbin (its "ice-agent"). */
NiceAgent *webrtcbin_nice_agent(GstElement *webrtcbin);

} // namespace gws
