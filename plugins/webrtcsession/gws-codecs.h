/* gst-webrtc-session: the codec table shared by webrtcsink and webrtcsrc.
 *
 * One entry per codec we can send or receive over WebRTC: its RTP encoding
 * name, the caps of its encoded form, the encoders (best first), payloader,
 * depayloader and parser. Both elements pick codecs from here, build the
 * RTP caps they put in offers and answers, and recognise a codec in caps. */
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>

#include <string>
#include <vector>

namespace gws {

enum class MediaKind { Video, Audio };

const char *media_kind_name(MediaKind kind); /* "video" / "audio" */

struct CodecInfo {
  const char *name; /* user-facing and SDP encoding name: "VP8" */
  MediaKind kind;
  int clock_rate;
  const char *encoded_caps;           /* "video/x-vp8" */
  std::vector<const char *> encoders; /* factories, our preference first */
  const char *payloader;
  const char *depayloader;
  const char *parser; /* nullptr when none is needed */
};

/* Every codec known to the plugin, in the default tie-break order. */
const std::vector<CodecInfo> &codec_table();

/* Case-insensitive lookup by name ("vp8", "H264", "opus"). */
const CodecInfo *codec_by_name(const char *name);

/* The codec of encoded caps (video/x-h264, audio/x-opus, ...), or nullptr. */
const CodecInfo *codec_for_encoded_caps(const GstCaps *caps);

/* The codec named by an application/x-rtp structure's encoding-name. */
const CodecInfo *codec_for_rtp_structure(const GstStructure *s);

/* The encoder webrtcsink makes for a new branch: bitrate (bit/s) and key
 * frame interval (frames). */
constexpr guint kDefaultVideoBitrate = 1000000;
constexpr guint kDefaultKeyframeInterval = 60;

/* The installed encoder factory to use for @codec, or "" when no encoder
 * or no payloader is installed:
 *  1. the first of @preferred (`video-encoders`) that is installed and
 *     makes @codec;
 *  2. else a hardware encoder of gws-encoder-settings' table, in its order,
 *     whatever its rank (VA encoders register at rank none);
 *  3. else the highest-ranked encoder of @codec: those of the codec table
 *     and any other installed encoder (rank marginal or more) whose output
 *     can be @codec; ties in the table's order. */
std::string codec_encoder_factory(
    const CodecInfo &codec, const std::vector<std::string> &preferred = {});

/* Whether a depayloader for @codec is installed (receiving side). */
bool codec_can_receive(const CodecInfo &codec);

/* Codecs of @kind that can be encoded here, best first: by the rank of their
 * best encoder, ties in table order (VP8, H264, VP9; OPUS). */
std::vector<const CodecInfo *> default_encode_order(MediaKind kind);

/* Codecs of @kind that can be received here, in table order. */
std::vector<const CodecInfo *> default_receive_order(MediaKind kind);

/* Parses a GstValueArray of codec names (a `video-codecs` property value)
 * into codecs of @kind. Unknown names and names of the other kind are
 * reported in @rejected (so the element can warn) and skipped. An empty or
 * unset array yields an empty vector, meaning "use the default order". */
std::vector<const CodecInfo *> codecs_from_value(
    const GValue *array, MediaKind kind, std::vector<std::string> *rejected);

/* The application/x-rtp structure we put in SDP for @codec with payload
 * type @pt: clock rate, the fmtp parameters we send (H264 constrained
 * baseline 42e01f with packetization-mode 1; Opus stereo with in-band FEC)
 * and the RTCP feedback we support (PLI, FIR). */
GstStructure *codec_rtp_structure(const CodecInfo &codec, int pt);

/* The encoder codec_encoder_factory() picks, with the known-good settings
 * of gws-encoder-settings (real time, kDefaultVideoBitrate, a key frame
 * every kDefaultKeyframeInterval frames) when it has a row; or nullptr. */
GstElement *codec_make_encoder(const CodecInfo &codec,
    const std::vector<std::string> &preferred, std::string *factory);

/* Caps to force right after the encoder (H264: constrained baseline, which
 * every browser decodes), or nullptr. */
GstCaps *codec_encoder_output_caps(const CodecInfo &codec, const char *factory);

/* A payloader configured for WebRTC: @pt, MTU 1200, SPS/PPS with every IDR. */
GstElement *codec_make_payloader(const CodecInfo &codec, int pt);

/* The payload types of @media whose rtpmap names @codec, best first. H264:
 * packetization-mode 1 only, profile-level-id 42e01f first, then other
 * baseline profiles, then the rest. */
std::vector<int> codec_payloads_in_media(
    const GstSDPMedia *media, const CodecInfo &codec);

/* The application/x-rtp structure of payload @pt of @media (with "media"
 * set), for codec-preferences. */
GstStructure *codec_structure_from_media(
    const GstSDPMedia *media, int pt, MediaKind kind);

/* Whether the remote side of @media (an answer's m-line) receives: not
 * inactive, not sendonly, and with at least one format. */
bool media_accepts_sending(const GstSDPMedia *media);

/* Comma-separated names, for messages: "VP8, H264". */
std::string codec_names(const std::vector<const CodecInfo *> &codecs);

} // namespace gws
