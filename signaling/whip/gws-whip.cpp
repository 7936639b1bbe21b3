/* gst-webrtc-session: WHIP/WHEP scheme registration (see gws-whip.h). */
#include "gws-whip.h"

void
gws_whip_register_schemes(void) {
  static gsize done = 0;
  if (g_once_init_enter(&done)) {
    gws_signaller_register_scheme("whip+http", GWS_TYPE_WHIP_CLIENT);
    gws_signaller_register_scheme("whip+https", GWS_TYPE_WHIP_CLIENT);
    gws_signaller_register_scheme("whep+http", GWS_TYPE_WHEP_CLIENT);
    gws_signaller_register_scheme("whep+https", GWS_TYPE_WHEP_CLIENT);
    gws_signaller_register_scheme("whip-server", GWS_TYPE_WHIP_SERVER);
    gws_signaller_register_scheme("whep-server", GWS_TYPE_WHEP_SERVER);
    g_once_init_leave(&done, 1);
  }
}
