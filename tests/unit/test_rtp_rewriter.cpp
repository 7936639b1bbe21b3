/* The per-consumer RTP rewrite (plugins/webrtcsession/gws-rtp-rewriter.*):
 * each output of a shared payloader gets its own SSRC, payload type and
 * transport-wide sequence, and rewriting one consumer's packets never
 * changes the packets the other consumers (and the shared tee) hold. */
#include "gws-rtp-rewriter.h"

#include <gst/rtp/rtp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <vector>

namespace {

const guint8 kExtId = 3;

/* A VP8-like packet from the shared payloader: pt 96, SSRC 0x1111, one
 * TWCC element (id 3) holding the placeholder 0. */
GstBuffer *
shared_packet(guint16 seq) {
  GstBuffer *buf = gst_rtp_buffer_new_allocate(100, 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  gst_rtp_buffer_map(buf, GST_MAP_WRITE, &rtp);
  gst_rtp_buffer_set_payload_type(&rtp, 96);
  gst_rtp_buffer_set_ssrc(&rtp, 0x1111);
  gst_rtp_buffer_set_seq(&rtp, seq);
  gst_rtp_buffer_set_timestamp(&rtp, 1000);
  guint8 zero[2] = {0, 0};
  gst_rtp_buffer_add_extension_onebyte_header(&rtp, kExtId, zero, 2);
  memset(gst_rtp_buffer_get_payload(&rtp), 0xab, 100);
  gst_rtp_buffer_unmap(&rtp);
  GST_BUFFER_PTS(buf) = 5 * GST_SECOND;
  return buf;
}

struct Seen {
  guint32 ssrc;
  guint8 pt;
  guint16 twcc;
  guint8 payload0;
  GstClockTime pts;
};

Seen
inspect(GstBuffer *buf) {
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  EXPECT_TRUE(gst_rtp_buffer_map(buf, GST_MAP_READ, &rtp));
  Seen s{gst_rtp_buffer_get_ssrc(&rtp), gst_rtp_buffer_get_payload_type(&rtp),
      0, static_cast<const guint8 *>(gst_rtp_buffer_get_payload(&rtp))[0],
      GST_BUFFER_PTS(buf)};
  gpointer data = nullptr;
  guint size = 0;
  if (gst_rtp_buffer_get_extension_onebyte_header(&rtp, kExtId, 0, &data, &size)
      && size == 2) {
    const guint8 *p = static_cast<const guint8 *>(data);
    s.twcc = static_cast<guint16>((p[0] << 8) | p[1]);
  }
  gst_rtp_buffer_unmap(&rtp);
  return s;
}

/* One consumer's output: a src pad carrying the rewrite, linked to a sink
 * pad that keeps what arrives. */
struct Output {
  GstPad *src = nullptr;
  GstPad *sink = nullptr;
  std::vector<GstBuffer *> got;

  explicit Output(const gws::RtpRewrite &rw) {
    src = gst_pad_new("src", GST_PAD_SRC);
    sink = gst_pad_new("sink", GST_PAD_SINK);
    gst_pad_set_element_private(sink, this);
    gst_pad_set_chain_function(
        sink, [](GstPad *pad, GstObject *, GstBuffer *buf) {
          static_cast<Output *>(gst_pad_get_element_private(pad))
              ->got.push_back(buf);
          return GST_FLOW_OK;
        });
    gst_pad_set_chain_list_function(
        sink, [](GstPad *pad, GstObject *, GstBufferList *list) {
          auto *o = static_cast<Output *>(gst_pad_get_element_private(pad));
          for (guint i = 0; i < gst_buffer_list_length(list); i++)
            o->got.push_back(gst_buffer_ref(gst_buffer_list_get(list, i)));
          gst_buffer_list_unref(list);
          return GST_FLOW_OK;
        });
    gst_pad_set_active(src, TRUE);
    gst_pad_set_active(sink, TRUE);
    EXPECT_EQ(gst_pad_link(src, sink), GST_PAD_LINK_OK);
    gws::install_rtp_rewrite(src, rw);
    gst_pad_push_event(src, gst_event_new_stream_start("s"));
    GstCaps *caps = gst_caps_from_string(
        "application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000,"
        "payload=96");
    gst_pad_push_event(src, gst_event_new_caps(caps));
    gst_caps_unref(caps);
    GstSegment seg;
    gst_segment_init(&seg, GST_FORMAT_TIME);
    gst_pad_push_event(src, gst_event_new_segment(&seg));
  }
  ~Output() {
    for (GstBuffer *b : got)
      gst_buffer_unref(b);
    gst_pad_set_active(src, FALSE);
    gst_pad_set_active(sink, FALSE);
    gst_object_unref(src);
    gst_object_unref(sink);
  }
};

gws::RtpRewrite
rewrite(guint32 ssrc, int to_pt, guint8 twcc_to_id) {
  gws::RtpRewrite rw;
  rw.ssrc = ssrc;
  rw.from_pt = 96;
  rw.to_pt = to_pt;
  rw.twcc_from_id = kExtId;
  rw.twcc_to_id = twcc_to_id;
  rw.twcc_seq = std::make_shared<std::atomic<guint16>>(7);
  rw.continuous = true;
  return rw;
}

} // namespace

TEST(RtpRewriter, EachConsumerGetsItsOwnPacketsFromASharedBuffer) {
  Output a(rewrite(0xaaaa, 100, kExtId));
  Output b(rewrite(0xbbbb, 96, kExtId));
  GstBuffer *shared = shared_packet(10);
  /* The tee hands the same buffer to every output. */
  EXPECT_EQ(gst_pad_push(a.src, gst_buffer_ref(shared)), GST_FLOW_OK);
  EXPECT_EQ(gst_pad_push(b.src, gst_buffer_ref(shared)), GST_FLOW_OK);
  ASSERT_EQ(a.got.size(), 1u);
  ASSERT_EQ(b.got.size(), 1u);
  Seen sa = inspect(a.got[0]), sb = inspect(b.got[0]), s0 = inspect(shared);
  EXPECT_EQ(sa.ssrc, 0xaaaau);
  EXPECT_EQ(sa.pt, 100);
  EXPECT_EQ(sa.twcc, 7);
  EXPECT_EQ(sb.ssrc, 0xbbbbu);
  EXPECT_EQ(sb.pt, 96);
  EXPECT_EQ(sb.twcc, 7); /* each consumer's own transport-wide count */
  EXPECT_EQ(sa.payload0, 0xab);
  EXPECT_EQ(sa.pts, 5 * GST_SECOND); /* metadata carried over */
  /* The shared packet is as the payloader made it. */
  EXPECT_EQ(s0.ssrc, 0x1111u);
  EXPECT_EQ(s0.pt, 96);
  EXPECT_EQ(s0.twcc, 0);
  EXPECT_NE(a.got[0], shared);
  EXPECT_NE(
      gst_buffer_peek_memory(a.got[0], 0), gst_buffer_peek_memory(shared, 0));
  gst_buffer_unref(shared);
}

TEST(RtpRewriter, SharedListsAreRewrittenPerConsumer) {
  Output a(rewrite(0xaaaa, 96, kExtId));
  Output b(rewrite(0xbbbb, 96, 0)); /* did not negotiate TWCC */
  GstBufferList *list = gst_buffer_list_new();
  for (guint16 i = 0; i < 3; i++)
    gst_buffer_list_add(list, shared_packet(20 + i));
  EXPECT_EQ(gst_pad_push_list(a.src, gst_buffer_list_ref(list)), GST_FLOW_OK);
  EXPECT_EQ(gst_pad_push_list(b.src, gst_buffer_list_ref(list)), GST_FLOW_OK);
  ASSERT_EQ(a.got.size(), 3u);
  ASSERT_EQ(b.got.size(), 3u);
  for (guint i = 0; i < 3; i++) {
    Seen sa = inspect(a.got[i]), sb = inspect(b.got[i]);
    Seen s0 = inspect(gst_buffer_list_get(list, i));
    EXPECT_EQ(sa.ssrc, 0xaaaau);
    EXPECT_EQ(sa.twcc, 7 + i); /* numbered in order */
    EXPECT_EQ(sb.ssrc, 0xbbbbu);
    EXPECT_EQ(sb.twcc, 0); /* blanked: the element is padding now */
    EXPECT_EQ(s0.ssrc, 0x1111u);
    EXPECT_EQ(s0.twcc, 0);
  }
  gst_buffer_list_unref(list);
}

TEST(RtpRewriter, AnUnsharedPacketIsRewrittenInPlace) {
  Output a(rewrite(0xaaaa, 96, kExtId));
  GstBuffer *buf = shared_packet(1);
  GstBuffer *expected = buf;
  EXPECT_EQ(gst_pad_push(a.src, buf), GST_FLOW_OK);
  ASSERT_EQ(a.got.size(), 1u);
  EXPECT_EQ(a.got[0], expected); /* no copy for a single consumer */
  EXPECT_EQ(inspect(a.got[0]).ssrc, 0xaaaau);
}

/* Packets lost between the shared payloader and a consumer's rewrite
 * (its leaky queue, its pacer) were never in its webrtcbin, so no NACK can
 * get them back: the output waits for the next key frame, numbering on as
 * if they had never been, and asks for that key frame once per gap. */
TEST(RtpRewriter, PacketsLostBeforeTheOutputLeaveNoGap) {
  auto key_packet = [](guint16 seq, bool key) {
    GstBuffer *buf = shared_packet(seq);
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    gst_rtp_buffer_map(buf, GST_MAP_WRITE, &rtp);
    static_cast<guint8 *>(gst_rtp_buffer_get_payload(&rtp))[0] = key ? 1 : 0;
    gst_rtp_buffer_unmap(&rtp);
    return buf;
  };
  gws::RtpRewrite rw = rewrite(0x2222, -1, 0);
  rw.starts_keyframe = [](GstBuffer *buf) {
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    gst_rtp_buffer_map(buf, GST_MAP_READ, &rtp);
    bool key
        = static_cast<const guint8 *>(gst_rtp_buffer_get_payload(&rtp))[0] == 1;
    gst_rtp_buffer_unmap(&rtp);
    return key;
  };
  int gaps = 0;
  rw.on_gap = [&gaps]() { gaps++; };
  rw.gap_packets = std::make_shared<std::atomic<guint64>>(0);
  Output out(rw);
  /* 100 starts a key frame; 103-104 lost: 105-106 wait for the key frame
   * at 107. */
  const std::vector<std::pair<guint16, bool>> single
      = {{100, true}, {101, false}, {102, false}, {105, false}, {106, false},
          {107, true}, {108, false}};
  for (const auto &[seq, key] : single)
    EXPECT_EQ(gst_pad_push(out.src, key_packet(seq, key)), GST_FLOW_OK);
  EXPECT_EQ(gaps, 1);
  /* A list (a frame's packets) with 110 lost: 111 dropped, 112 is a key
   * frame. A gap ending right at a key frame asks for nothing more. */
  GstBufferList *list = gst_buffer_list_new();
  gst_buffer_list_add(list, key_packet(109, false));
  gst_buffer_list_add(list, key_packet(111, false));
  gst_buffer_list_add(list, key_packet(112, true));
  EXPECT_EQ(gst_pad_push_list(out.src, list), GST_FLOW_OK);
  EXPECT_EQ(gst_pad_push(out.src, key_packet(114, true)), GST_FLOW_OK);
  EXPECT_EQ(gaps, 2);
  /* Lost before: 103, 104, 110, 113; skipped: 105, 106, 111. */
  EXPECT_EQ(rw.gap_packets->load(), 7u);
  std::vector<guint16> seqs;
  for (GstBuffer *b : out.got) {
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    ASSERT_TRUE(gst_rtp_buffer_map(b, GST_MAP_READ, &rtp));
    seqs.push_back(gst_rtp_buffer_get_seq(&rtp));
    gst_rtp_buffer_unmap(&rtp);
  }
  /* 100 101 102 107 108 109 112 114, numbered without a gap. */
  ASSERT_EQ(seqs.size(), 8u);
  for (size_t i = 1; i < seqs.size(); i++)
    EXPECT_EQ(seqs[i], static_cast<guint16>(seqs[0] + i)) << "packet " << i;
}

int
main(int argc, char **argv) {
  gst_init(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
