/* gst-webrtc-session: the settings webrtcsink and webrtcsrc share.
 *
 * Both elements have the same signalling, codec, ICE and restart
 * properties, and expose their signaller as a GstChildProxy child
 * ("signaller::NAME"). This file owns those properties once: their specs,
 * the values behind them, and the child proxy. Each element's private
 * state derives from ElementSettings and adds its own. */
#pragma once

#include "gws-stats-snapshot.h"
#include "gws-data-channels.h"
#include "gws-ice.h"
#include "gws-loss-recovery.h"
#include "gws-restart.h"
#include "gws-signaller.h"
#include "gws-mdns-check.h"
#include "gws-start-wait.h"

#include <gst/gst.h>

#include <mutex>
#include <string>
#include <vector>

#define DEFAULT_URI "ws://127.0.0.1:8443"

namespace gws {

/* Property ids both elements use; an element's own ids start at
 * PROP_COMMON_LAST. */
enum CommonProp : guint {
  PROP_URI = 1,
  PROP_SIGNALLER,
  PROP_VIDEO_CODECS,
  PROP_AUDIO_CODECS,
  PROP_ICE_ADDRESSES,
  PROP_STUN_SERVER,
  PROP_TURN_SERVERS,
  PROP_STATS,
  PROP_PATH_TIMEOUT,
  PROP_AUTO_RESTART,
  PROP_MAX_RESTART_FAILURES,
  PROP_WAIT_TIMEOUT,
  PROP_DO_RETRANSMISSION,
  PROP_DO_FEC,
  PROP_DATA_CHANNELS,
  PROP_CERTIFICATE,
  PROP_COMMON_LAST,
};

/* What differs in the shared properties' descriptions. */
struct CommonBlurbs {
  const char *uri;
  const char *signaller;
  const char *video_codecs;
  const char *audio_codecs;
  const char *stats;
  GwsSignallerRole role = GWS_SIGNALLER_ROLE_PRODUCER;
};

/* Installs every CommonProp (PROP_STATS read-only: the element answers
 * it). The uri and signaller blurbs get the registered schemes for
 * text.role and each signaller's settable properties appended, so
 * gst-inspect-1.0 shows them (the plugin registers the schemes before the
 * elements). */
void install_common_properties(GObjectClass *klass, const CommonBlurbs &text);

/* GstChildProxy with one child, the "signaller" property's object. */
void signaller_child_proxy_init(GstChildProxyInterface *iface);

/* The values. Nothing is called out with `lock` held; the element may
 * guard its own state with it too (webrtcsrc then takes a FreezeMeter's
 * lock inside it: `lock` -> FreezeMeter). */
class ElementSettings {
 public:
  explicit ElementSettings(GwsSignallerRole role);
  virtual ~ElementSettings();
  ElementSettings(const ElementSettings &) = delete;
  ElementSettings &operator=(const ElementSettings &) = delete;

  /* Sets or gets a CommonProp; FALSE for other ids (and PROP_STATS). */
  bool set_common(GObject *element, guint prop_id, const GValue *value);
  bool get_common(guint prop_id, GValue *value);

  /* At start: when ICE would find no address (gws-network-check.h: the
   * loopback-only machine), use 127.0.0.1 and post a warning on @element
   * saying so; also warns of ice-addresses that are not local. */
  void check_ice_addresses(GstElement *element);

  GwsSignaller *ref_signaller();
  /* The signaller's protocol carries restarts and second offers
   * (gws-restart.h signaller_carries_restarts); FALSE with none. Takes and
   * drops its own reference: call it with no lock held. */
  bool signaller_carries_restarts();
  /* Second offers on the same connection (gws-restart.h
   * signaller_carries_renegotiations); same locking rule. */
  bool signaller_carries_renegotiations();
  /* @question about the signaller (null when none), with a reference held
   * and no lock. */
  bool ask_signaller(bool (*question)(GObject *signaller));
  /* "no signaller: ..." when there is none (the uri's error, e.g. a
   * scheme for the other element), why the signaller does not fit this
   * element's role, or "". */
  std::string missing_signaller_reason();
  /* Why the `certificate` property cannot be used, or "" (none set, or a
   * good one). The elements refuse NULL->READY with it. */
  std::string certificate_error();

  std::mutex lock;
  /* Guarded by lock. */
  GwsSignallerRole role;
  std::string uri = DEFAULT_URI;
  std::string uri_error;
  GwsSignaller *signaller = nullptr;
  GValue video_codecs = G_VALUE_INIT;
  GValue audio_codecs = G_VALUE_INIT;
  GValue turn_servers = G_VALUE_INIT;
  /* `data-channels`: the value as set, and as parsed (gws-data-channels.h). */
  GValue data_channels = G_VALUE_INIT;
  std::vector<ChannelSpec> channel_specs;
  IceConfig ice;               /* ice.certificate: the `certificate` property */
  std::string certificate_pem; /* as set, for the getter */
  std::string certificate_error_; /* why certificate_pem is unusable */
  RestartSettings restart;
  gint wait_timeout_s = 60; /* gws-start-wait.h; -1: for ever */

  /* The start-order policy of the running signaller; session loop only
   * (set in start_signaller, cancelled and dropped in stop_signaller). */
  std::shared_ptr<StartWait> start_wait;
  LossRecovery loss;

  /* The `stats` the session thread last published (its own lock). */
  StatsSnapshot stats_snapshot;
};

} // namespace gws
