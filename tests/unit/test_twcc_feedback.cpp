/* Loss as the estimator reads it from real transport-wide feedback: two
 * real rtpsession elements (GStreamer's, as in webrtcbin), the sender's
 * numbering its packets and parsing the feedback, the receiver's
 * generating it (one report per frame: the 1-4 packet reports webrtcsrc
 * sends), with packets dropped in between on a known pattern. The reports
 * reach the sender's upstream pad as "RTPTWCCPackets" events, where a
 * gws::ConsumerBandwidth reads them as webrtcsink does
 * (plugins/webrtcsession/gws-consumer-bandwidth.*, gws-twcc.*).
 *
 * What it pins down (issue 12): a clean link reads 0 loss whatever the
 * report size, retransmissions (another SSRC, the extension copied, as
 * rtprtxsend sends them) included; a lossy one reads exactly the packets
 * dropped, each once. Waits are on the feedback itself, with a timeout. */
#include "gws-consumer-bandwidth.h"
#include "gws-twcc.h"

#include <gst/gst.h>
#include <gst/rtp/rtp.h>
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace {

constexpr guint kPacketsPerFrame = 3;
constexpr guint kPayload = 1000;

struct Counts {
  GMutex lock;
  GCond cond;
  guint64 reports = 0;
  guint64 entries = 0;
  std::multiset<guint16> lost;
  std::multiset<guint16> received;
};

struct Drop {
  bool (*lose)(guint i) = nullptr; /* drop the i-th packet; null: none */
  guint seen = 0;
  std::set<guint16> dropped; /* transport-wide numbers */
};

guint16
twcc_seq(GstBuffer *buf) {
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint16 seq = 0;
  if (gst_rtp_buffer_map(buf, GST_MAP_READ, &rtp)) {
    gpointer data = nullptr;
    guint size = 0;
    if (gst_rtp_buffer_get_extension_onebyte_header(
            &rtp, gws::kTwccExtId, 0, &data, &size)
        && size == 2) {
      const guint8 *p = static_cast<const guint8 *>(data);
      seq = static_cast<guint16>((p[0] << 8) | p[1]);
    }
    gst_rtp_buffer_unmap(&rtp);
  }
  return seq;
}

GstBuffer *
rtp_packet(guint32 ssrc, guint8 pt, guint16 seq, guint32 ts, bool marker) {
  GstBuffer *buf = gst_rtp_buffer_new_allocate(kPayload, 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  gst_rtp_buffer_map(buf, GST_MAP_WRITE, &rtp);
  gst_rtp_buffer_set_ssrc(&rtp, ssrc);
  gst_rtp_buffer_set_payload_type(&rtp, pt);
  gst_rtp_buffer_set_seq(&rtp, seq);
  gst_rtp_buffer_set_timestamp(&rtp, ts);
  gst_rtp_buffer_set_marker(&rtp, marker);
  memset(gst_rtp_buffer_get_payload(&rtp), 0x55, kPayload);
  /* The placeholder a payloader writes; the sender's rtpsession numbers
   * it (a retransmission carries the original's copy, renumbered too). */
  guint8 zero[2] = {0, 0};
  gst_rtp_buffer_add_extension_onebyte_header(
      &rtp, gws::kTwccExtId, zero, sizeof zero);
  gst_rtp_buffer_unmap(&rtp);
  return buf;
}

class TwccFeedback : public ::testing::Test {
 protected:
  void SetUp() override {
    g_mutex_init(&counts_.lock);
    g_cond_init(&counts_.cond);
    pipeline_ = gst_pipeline_new("twcc");
    src_ = gst_element_factory_make("appsrc", "src");
    snd_ = gst_element_factory_make("rtpsession", "snd");
    rcv_ = gst_element_factory_make("rtpsession", "rcv");
    GstElement *media = gst_element_factory_make("fakesink", "media");
    GstElement *rtcp = gst_element_factory_make("fakesink", "rtcp");
    GstElement *sync = gst_element_factory_make("fakesink", "sync");
    /* The receiver's RTCP goes back through an appsrc: a direct link
     * would make the graph a loop. */
    GstElement *back_out = gst_element_factory_make("fakesink", "back_out");
    back_ = gst_element_factory_make("appsrc", "back_in");
    ASSERT_TRUE(
        src_ && snd_ && rcv_ && media && rtcp && sync && back_out && back_)
        << "appsrc, rtpsession (gst-plugins-good) and fakesink needed";
    GstCaps *rtcp_caps = gst_caps_new_empty_simple("application/x-rtcp");
    g_object_set(back_, "caps", rtcp_caps, "format", GST_FORMAT_TIME, "is-live",
        TRUE, "do-timestamp", TRUE, nullptr);
    gst_caps_unref(rtcp_caps);
    for (GstElement *s : {media, rtcp, sync, back_out})
      g_object_set(s, "sync", FALSE, "async", FALSE, nullptr);
    /* webrtcbin's profile: feedback may leave at once */
    gst_util_set_object_arg(G_OBJECT(snd_), "rtp-profile", "avpf");
    gst_util_set_object_arg(G_OBJECT(rcv_), "rtp-profile", "avpf");
    std::string caps_str = std::string("application/x-rtp,media=video,"
                                       "clock-rate=90000,encoding-name=VP8,"
                                       "payload=96,extmap-")
                           + std::to_string(gws::kTwccExtId) + "=(string)"
                           + gws::kTwccUri;
    GstCaps *caps = gst_caps_from_string(caps_str.c_str());
    g_object_set(src_, "caps", caps, "format", GST_FORMAT_TIME, "is-live", TRUE,
        "do-timestamp", TRUE, nullptr);
    gst_caps_unref(caps);
    gst_bin_add_many(GST_BIN(pipeline_), src_, snd_, rcv_, media, rtcp, sync,
        back_out, back_, nullptr);

    GstPad *snd_rtp_sink
        = gst_element_request_pad_simple(snd_, "send_rtp_sink");
    GstPad *snd_rtp_src = gst_element_get_static_pad(snd_, "send_rtp_src");
    GstPad *rcv_rtp_sink
        = gst_element_request_pad_simple(rcv_, "recv_rtp_sink");
    GstPad *rcv_rtp_src = gst_element_get_static_pad(rcv_, "recv_rtp_src");
    GstPad *rcv_rtcp_src
        = gst_element_request_pad_simple(rcv_, "send_rtcp_src");
    GstPad *snd_rtcp_sink
        = gst_element_request_pad_simple(snd_, "recv_rtcp_sink");
    GstPad *snd_sync_src = gst_element_get_static_pad(snd_, "sync_src");
    GstPad *snd_rtcp_src
        = gst_element_request_pad_simple(snd_, "send_rtcp_src");
    ASSERT_TRUE(snd_rtp_sink && snd_rtp_src && rcv_rtp_sink && rcv_rtp_src
                && rcv_rtcp_src && snd_rtcp_sink && snd_sync_src
                && snd_rtcp_src);
    src_pad_ = gst_element_get_static_pad(src_, "src");
    auto link = [](GstPad *a, GstPad *b) {
      return gst_pad_link(a, b) == GST_PAD_LINK_OK;
    };
    GstPad *media_sink = gst_element_get_static_pad(media, "sink");
    GstPad *rtcp_sink = gst_element_get_static_pad(rtcp, "sink");
    GstPad *sync_sink = gst_element_get_static_pad(sync, "sink");
    GstPad *back_out_sink = gst_element_get_static_pad(back_out, "sink");
    GstPad *back_src = gst_element_get_static_pad(back_, "src");
    ASSERT_TRUE(link(src_pad_, snd_rtp_sink));
    ASSERT_TRUE(link(snd_rtp_src, rcv_rtp_sink));
    ASSERT_TRUE(link(rcv_rtp_src, media_sink));
    ASSERT_TRUE(link(rcv_rtcp_src, back_out_sink));
    ASSERT_TRUE(link(back_src, snd_rtcp_sink));
    gst_pad_add_probe(
        rcv_rtcp_src, GST_PAD_PROBE_TYPE_BUFFER,
        [](GstPad *, GstPadProbeInfo *info, gpointer data) {
          GstFlowReturn ret;
          g_signal_emit_by_name(static_cast<GstElement *>(data), "push-buffer",
              GST_PAD_PROBE_INFO_BUFFER(info), &ret);
          return GST_PAD_PROBE_OK;
        },
        back_, nullptr);
    ASSERT_TRUE(link(snd_sync_src, sync_sink));
    ASSERT_TRUE(link(snd_rtcp_src, rtcp_sink));
    /* The link: drops on the pattern, after the sender numbered them. */
    gst_pad_add_probe(
        snd_rtp_src, GST_PAD_PROBE_TYPE_BUFFER,
        [](GstPad *, GstPadProbeInfo *info, gpointer data) {
          auto *d = static_cast<Drop *>(data);
          guint i = d->seen++;
          if (d->lose && d->lose(i)) {
            d->dropped.insert(twcc_seq(GST_PAD_PROBE_INFO_BUFFER(info)));
            return GST_PAD_PROBE_DROP;
          }
          return GST_PAD_PROBE_OK;
        },
        &drop_, nullptr);
    /* What the feedback says, report by report (before the consumer's
     * probe, which drops the event once read). */
    gst_pad_add_probe(
        src_pad_, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
        [](GstPad *, GstPadProbeInfo *info, gpointer data) {
          auto *c = static_cast<Counts *>(data);
          std::vector<gws::TwccPacket> packets;
          if (!gws::twcc_parse_feedback(
                  GST_PAD_PROBE_INFO_EVENT(info), packets))
            return GST_PAD_PROBE_OK;
          g_mutex_lock(&c->lock);
          c->reports++;
          c->entries += packets.size();
          for (const auto &p : packets)
            (p.lost ? c->lost : c->received).insert(p.seqnum);
          g_cond_broadcast(&c->cond);
          g_mutex_unlock(&c->lock);
          return GST_PAD_PROBE_OK;
        },
        &counts_, nullptr);
    bandwidth_ = gws::ConsumerBandwidth::create(
        gws::BandwidthEstimator::Config{}, nullptr);
    bandwidth_->watch(src_pad_);
    for (GstPad *p : {snd_rtp_sink, snd_rtp_src, rcv_rtp_sink, rcv_rtp_src,
             rcv_rtcp_src, snd_rtcp_sink, snd_sync_src, snd_rtcp_src,
             media_sink, rtcp_sink, sync_sink, back_out_sink, back_src})
      gst_object_unref(p);
    ASSERT_NE(gst_element_set_state(pipeline_, GST_STATE_PLAYING),
        GST_STATE_CHANGE_FAILURE);
  }

  void TearDown() override {
    if (bandwidth_)
      bandwidth_->unwatch();
    if (pipeline_) {
      gst_element_set_state(pipeline_, GST_STATE_NULL);
      gst_object_unref(pipeline_);
    }
    if (src_pad_)
      gst_object_unref(src_pad_);
    g_mutex_clear(&counts_.lock);
    g_cond_clear(&counts_.cond);
  }

  void push(GstBuffer *buf) {
    ASSERT_EQ(gst_app_src_push(buf), GST_FLOW_OK);
    pushed_++;
  }
  GstFlowReturn gst_app_src_push(GstBuffer *buf) {
    GstFlowReturn ret = GST_FLOW_ERROR;
    g_signal_emit_by_name(src_, "push-buffer", buf, &ret);
    gst_buffer_unref(buf);
    return ret;
  }

  /* @frames frames of kPacketsPerFrame packets, the last with the marker
   * (the receiver's cue for a report); with @rtx_every, every
   * @rtx_every-th frame starts with a retransmission of a packet of the
   * frame before. */
  void send(guint frames, guint rtx_every = 0) {
    for (guint f = 0; f < frames; f++, frame_++) {
      guint32 ts = frame_ * 3000;
      if (rtx_every && f % rtx_every == rtx_every - 1)
        push(rtp_packet(0x2222, 97, rtx_seq_++, ts - 3000, false));
      for (guint i = 0; i < kPacketsPerFrame; i++)
        push(rtp_packet(0x1111, 96, seq_++, ts, i + 1 == kPacketsPerFrame));
    }
  }

  /* Waits until the feedback has covered every packet pushed so far and
   * the consumer's estimator has read it: one more frame, and its report
   * seen, means the reports before it went all the way through (one
   * thread delivers them in order). */
  bool settle() {
    guint n = pushed_;
    if (!wait_entries(n))
      return false;
    send(1);
    return wait_entries(pushed_);
  }

  /* Waits until the feedback has covered @n packets (10 s at most). */
  bool wait_entries(guint64 n) {
    gint64 deadline = g_get_monotonic_time() + 10 * G_TIME_SPAN_SECOND;
    g_mutex_lock(&counts_.lock);
    while (counts_.entries < n) {
      if (!g_cond_wait_until(&counts_.cond, &counts_.lock, deadline))
        break;
    }
    bool ok = counts_.entries >= n;
    g_mutex_unlock(&counts_.lock);
    return ok;
  }

  GstElement *pipeline_ = nullptr;
  GstElement *src_ = nullptr;
  GstElement *snd_ = nullptr;
  GstElement *rcv_ = nullptr;
  GstElement *back_ = nullptr;
  GstPad *src_pad_ = nullptr;
  Counts counts_;
  Drop drop_;
  guint pushed_ = 0;
  guint frame_ = 0;
  guint16 seq_ = 1000;
  guint16 rtx_seq_ = 5000;
  std::shared_ptr<gws::ConsumerBandwidth> bandwidth_;
};

/* The link loses nothing: reports of one frame each (3-4 packets, some
 * with a retransmission on its own SSRC) read as no loss at all. */
TEST_F(TwccFeedback, CleanLinkReadsNoLoss) {
  send(60, 4);
  ASSERT_TRUE(settle()) << "feedback covered " << counts_.entries << " of "
                        << pushed_;
  g_mutex_lock(&counts_.lock);
  EXPECT_EQ(counts_.lost.size(), 0u);
  EXPECT_EQ(counts_.received.size(), pushed_);
  /* each transport-wide number once: retransmissions got their own */
  EXPECT_EQ(std::set<guint16>(counts_.received.begin(), counts_.received.end())
                .size(),
      counts_.received.size());
  EXPECT_GE(counts_.reports, 20u); /* small reports, as webrtcsrc sends */
  g_mutex_unlock(&counts_.lock);
  auto s = bandwidth_->snapshot();
  EXPECT_GE(s.feedback_packets, pushed_ - kPacketsPerFrame);
  EXPECT_EQ(s.loss, 0.0);
}

/* A quarter of the packets lost, never a frame's last (its marker cues
 * the report): the first packet of every second frame, which falls
 * between two reports (the receiver's next report starts after it; the
 * sender fills the gap), and the middle one of every fourth, inside a
 * report. Exactly those are reported lost, each once, and the
 * estimator's loss is 1/4 (its first window of 50-odd packets). */
TEST_F(TwccFeedback, LossyLinkReadsTheDroppedPackets) {
  drop_.lose = [](guint i) { return i % 6 == 3 || i % 12 == 10; };
  send(60);
  ASSERT_TRUE(settle()) << "feedback covered " << counts_.entries << " of "
                        << pushed_;
  g_mutex_lock(&counts_.lock);
  EXPECT_EQ(counts_.lost.size(), drop_.dropped.size());
  EXPECT_EQ(std::set<guint16>(counts_.lost.begin(), counts_.lost.end()),
      drop_.dropped);
  EXPECT_EQ(counts_.received.size() + counts_.lost.size(), pushed_);
  g_mutex_unlock(&counts_.lock);
  auto s = bandwidth_->snapshot();
  EXPECT_GE(s.feedback_packets, pushed_ - kPacketsPerFrame);
  EXPECT_NEAR(s.loss, 0.25, 0.04);
}

/* With FEC on, webrtcbin wraps every packet in a RED packet (rtpredenc,
 * inside a bin it adds to its rtpbin). GStreamer 1.22.0 gives the wrapper's
 * TWCC element id 1 whatever the caps negotiated, so rtpsession numbered
 * none of them; twcc_mend_red() moves it to the negotiated id. A real
 * rtpredenc, added the way webrtcbin adds it. */
TEST(TwccRed, WrapperCarriesTheNegotiatedId) {
  GstElement *pipe = gst_pipeline_new(nullptr);
  GstElement *outer = gst_bin_new("webrtcbin-like");
  gst_bin_add(GST_BIN(pipe), outer);
  gws::twcc_mend_red(outer);
  GstElement *src = gst_element_factory_make("appsrc", nullptr);
  GstElement *sink = gst_element_factory_make("appsink", nullptr);
  GstElement *fec = gst_bin_new(nullptr); /* as webrtcbin builds it */
  GstElement *red = gst_element_factory_make("rtpredenc", nullptr);
  ASSERT_TRUE(src && sink && red);
  g_object_set(red, "pt", 122, nullptr);
  gst_bin_add(GST_BIN(fec), red);
  gst_element_add_pad(
      fec, gst_ghost_pad_new("sink", gst_element_get_static_pad(red, "sink")));
  gst_element_add_pad(
      fec, gst_ghost_pad_new("src", gst_element_get_static_pad(red, "src")));
  gst_bin_add_many(GST_BIN(outer), src, fec, sink, nullptr);
  ASSERT_TRUE(gst_element_link_many(src, fec, sink, nullptr));
  GstCaps *caps = gst_caps_new_simple("application/x-rtp", "media",
      G_TYPE_STRING, "video", "encoding-name", G_TYPE_STRING, "VP8",
      "clock-rate", G_TYPE_INT, 90000, "payload", G_TYPE_INT, 96, "extmap-5",
      G_TYPE_STRING, gws::kTwccUri, nullptr);
  g_object_set(src, "caps", caps, "format", GST_FORMAT_TIME, nullptr);
  gst_caps_unref(caps);
  ASSERT_NE(
      gst_element_set_state(pipe, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);

  GstBuffer *in = gst_rtp_buffer_new_allocate(100, 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  ASSERT_TRUE(gst_rtp_buffer_map(in, GST_MAP_READWRITE, &rtp));
  gst_rtp_buffer_set_payload_type(&rtp, 96);
  gst_rtp_buffer_set_ssrc(&rtp, 1234);
  guint8 seq[2] = {0, 7};
  ASSERT_TRUE(gst_rtp_buffer_add_extension_onebyte_header(&rtp, 5, seq, 2));
  gst_rtp_buffer_unmap(&rtp);
  GST_BUFFER_PTS(in) = 0;
  g_signal_emit_by_name(src, "push-buffer", in, nullptr);
  gst_buffer_unref(in);

  GstSample *out = nullptr;
  g_signal_emit_by_name(sink, "try-pull-sample", 5 * GST_SECOND, &out);
  ASSERT_NE(out, nullptr);
  ASSERT_TRUE(
      gst_rtp_buffer_map(gst_sample_get_buffer(out), GST_MAP_READ, &rtp));
  EXPECT_EQ(gst_rtp_buffer_get_payload_type(&rtp), 122); /* RED */
  gpointer data = nullptr;
  guint size = 0;
  EXPECT_TRUE(
      gst_rtp_buffer_get_extension_onebyte_header(&rtp, 5, 0, &data, &size));
  EXPECT_EQ(size, 2u);
  EXPECT_FALSE(
      gst_rtp_buffer_get_extension_onebyte_header(&rtp, 1, 0, &data, &size));
  gst_rtp_buffer_unmap(&rtp);
  gst_sample_unref(out);
  gst_element_set_state(pipe, GST_STATE_NULL);
  gst_object_unref(pipe);
}

TEST(TwccRed, IdFromCaps) {
  GstStructure *s = gst_structure_new("application/x-rtp", "extmap-2",
      G_TYPE_STRING, "urn:ietf:params:rtp-hdrext:sdes:mid", "extmap-7",
      G_TYPE_STRING, gws::kTwccUri, nullptr);
  EXPECT_EQ(gws::twcc_ext_id_in_caps(s), 7);
  gst_structure_remove_field(s, "extmap-7");
  EXPECT_EQ(gws::twcc_ext_id_in_caps(s), 0);
  gst_structure_free(s);
}

} // namespace

int
main(int argc, char **argv) {
  gst_init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
