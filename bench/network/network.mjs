// Benchmark `network` (issue 11): video over a lossy link, four ways, side
// by side in one run, on the network rig (tests/browser/netrig.mjs: two
// namespaces, random UDP loss on arrival at both ends, so loss both ways):
//
//   sink-src        webrtcsink -> webrtcsrc (NACK + RTX, the default)
//   sink-chromium   webrtcsink -> Chromium playing it in the web client
//   chromium        Chromium -> Chromium, two pages (the anchor: libwebrtc
//                   at both ends)
//   floor           webrtcsink -> webrtcsrc with do-retransmission=false on
//                   both (plain webrtcbin, no retransmission)
//
// Each runs one session and measures a window at each loss rate in turn
// (0, 1, 3, 5%: loss set, 2 s to settle, then the window). Figures per
// window: frames/s at the receiver, freezes (the getStats definition; for
// webrtcsrc computed the same way from the frames' arrival times) and
// frozen time, both per minute, frames lost (taken in by the sender minus
// shown by the receiver), packets lost for good, and the recovery
// overhead (retransmitted packets and bytes against the media's).
//
// With --caps 3000,600,3000 (issue 12) the windows are bandwidth caps on
// the sender's uplink instead (tbf, 100 ms queue, no added loss), in turn:
// each window also reports the time the sender took to bring its target
// under the new cap (webrtcsink: `target-bps`; Chromium: outbound-rtp
// `targetBitrate`), what it put on the wire (the veth's tx bytes) and the
// link utilisation (that over the cap).
//
// Usage (as root): node bench/network/network.mjs [--quick] [--seconds N]
//   [--losses 0,1,3,5 | --caps 3000,600,3000] [--only sink-src,chromium,...]
//   [--src-latency MS] [--size WxH] [--sink-props "prop=value ..."]
//   [--src-props "prop=value ..."]
//   [--trace] [--delay MS [--jitter MS]]
// (a loss rate may be repeated, --losses 5,5,5: one window each)
// --delay runs every path through the rig's delay line (tests/netcond
// delayline.c, built by meson; $GWS_DELAYLINE or the build dir's) holding
// each frame MS (+- --jitter) each way, for every window.
// Progress on stderr; the last line on stdout is the JSON result.

import os from 'node:os';
import { enterPrivateNetwork, missingRequirement, openPage, until, waitForPlayback, guard }
  from '../../tests/browser/harness.mjs';
import { Rig, cameraOnly, pageVideoStats, statField, freezes }
  from '../../tests/browser/netrig.mjs';

enterPrivateNetwork();

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
const quick = argv.includes('--quick');
const SECONDS = Number(opt('--seconds', quick ? 6 : 20));
const LOSSES = opt('--losses', '0,1,3,5').split(',').map(Number);
const CAPS = opt('--caps', null)?.split(',').map(Number);
// One window per phase: a loss rate, or (--caps) a bandwidth cap.
// A rate given twice (--losses 5,5,5) is measured twice, keyed by index.
const lossKey = (l, i) => (LOSSES.indexOf(l) === i ? l : `${i}:${l}`);
const PHASES = CAPS ? CAPS.map((c, i) => ({ key: `${i + 1}:cap${c}`, cap: c }))
  : LOSSES.map((l, i) => ({ key: lossKey(l, i), loss: l }));
const ADAPT_LIMIT_MS = 15000;
const ALL = ['sink-src', 'sink-chromium', 'chromium', 'floor'];
const ONLY = opt('--only', ALL.join(',')).split(',');
// webrtcsrc's jitter-buffer latency (ms; the element's default 50), for
// experiments: a retransmission must arrive within it.
const SRC_LATENCY = Number(opt('--src-latency', 50));
const DELAY_MS = Number(opt('--delay', 0));
const JITTER_MS = Number(opt('--jitter', 0));
// More webrtcsink properties, for experiments (--sink-props
// "congestion-control=disabled ...").
const SINK_PROPS = (opt('--sink-props', '') || '').split(' ').filter((p) => p);
// And webrtcsrc's (--src-props "do-fec=true").
const SRC_PROPS = (opt('--src-props', '') || '').split(' ').filter((p) => p);
// 320x240 at 30 frames/s at every sender: at 640x480 webrtcsink's VP8
// encoder made 5 frames/s on this shared 2-core machine; Chromium's fake
// camera is asked for the same size (netrig.cameraOnly).
// --size 640x480 for the low end of the rendition ladder (issue 12: a
// picture too large for its bitrate is halved; the anchor is asked for the
// same size).
const SIZE = opt('--size', '320x240');
const [SIZE_W, SIZE_H] = SIZE.split('x').map(Number);
const SOURCE = 'pattern=smpte horizontal-speed=3';
const SETTLE_MS = 2000;
const PAGE_OPTS = 'auto-restart=0&path-timeout=0';

const log = (...a) => console.error(...a);
const monotonic = () => Number(process.hrtime.bigint()) / 1e9; // peer.py's clock
const wait = (ms) => new Promise((r) => setTimeout(r, ms)); // measurement windows only
const d = (a, b, f) => (a?.[f] ?? 0) - (b?.[f] ?? 0);

async function elementSnapshot(peer) {
  const evs = await peer.ask('stats', 'stats');
  const ev = evs[evs.length - 1];
  return { text: ev.text, framesIn: ev.frames_in ?? 0, encoded: ev.frames_encoded ?? 0,
    t: monotonic() };
}

function perMinute(v, secs) {
  return (v * 60) / secs;
}

function summary({ secs, frames, fr, framesLost, lostForGood, packets, rtxPackets, rtxBytes,
  mediaBytes, extra = {} }) {
  return {
    seconds: Number(secs.toFixed(2)),
    fps: Number((frames / secs).toFixed(2)),
    freezes_per_min: Number(perMinute(fr.count, secs).toFixed(2)),
    freeze_s_per_min: Number(perMinute(fr.total, secs).toFixed(3)),
    longest_freeze_ms: fr.longest === undefined ? null : Math.round(fr.longest * 1000),
    frames_lost: Math.max(0, Math.round(framesLost)),
    frames_lost_per_min: Number(perMinute(Math.max(0, framesLost), secs).toFixed(1)),
    packets_lost_for_good: lostForGood,
    packets_lost_for_good_per_min: Number(perMinute(lostForGood, secs).toFixed(1)),
    packets: packets,
    rtx_packets: rtxPackets,
    rtx_overhead_pct: packets ? Number(((100 * rtxPackets) / packets).toFixed(2)) : null,
    rtx_kbit_s: rtxBytes == null ? null : Number(((rtxBytes * 8) / secs / 1000).toFixed(1)),
    media_kbit_s: mediaBytes == null ? null : Number(((mediaBytes * 8) / secs / 1000).toFixed(1)),
    // The machine's 1-minute load average at the window's end: senders
    // starved of CPU drop frames before their encoder, loss or not.
    load1: Number(os.loadavg()[0].toFixed(2)),
    ...extra,
  };
}

// Veth bytes sent by a side (all paths; media dominates, signalling and
// RTCP are small) over a window: for the bytes per packet of webrtcsink,
// whose stats count packets only.
async function applyPhase(rig, ph) {
  if (ph.cap !== undefined) await rig.setCap(ph.cap);
  else await rig.setLoss(ph.loss);
}

// Seconds until `readTarget()` (bit/s) is under the phase's cap (polled
// every 250 ms, at most ADAPT_LIMIT_MS); null without a cap, or when it
// stays above.
async function adaptTime(ph, readTarget) {
  if (ph.cap === undefined) return null;
  const t0 = monotonic();
  while ((monotonic() - t0) * 1000 < ADAPT_LIMIT_MS) {
    const target = await readTarget();
    if (target > 0 && target <= ph.cap * 1000) return Number((monotonic() - t0).toFixed(2));
    await wait(250);
  }
  return null;
}

function capFigures(ph, c0, c1, secs) {
  if (ph.cap === undefined) return {};
  const sent = (txBytes(c0, c1) * 8) / secs / 1000;
  return { cap_kbit_s: ph.cap, sent_kbit_s: Number(sent.toFixed(1)),
    utilisation: Number((sent / ph.cap).toFixed(3)) };
}

function txBytes(before, after) {
  let sum = 0;
  for (const p of Object.keys(after)) sum += after[p][1] - before[p][1];
  return sum;
}

// The picture a webrtcsrc receiver decodes now (its sink's last caps).
function lastSize(receiver) {
  const caps = receiver.events.filter((e) => e.event === 'caps');
  const m = caps.length
    && /width=\(int\)(\d+), height=\(int\)(\d+)/.exec(caps[caps.length - 1].caps);
  return m ? `${m[1]}x${m[2]}` : null;
}

// -- webrtcsink -> webrtcsrc (with or without retransmission) -------------
async function sinkToSrc(rig, retransmission) {
  const tag = retransmission ? 'sink-src' : 'floor';
  const relay = await rig.relay(`net-${tag}-relay`);
  const props = retransmission ? [] : ['do-retransmission=false'];
  const sender = rig.peer(`net-${tag}-snd`, 'sender', {
    uri: `${relay.wsUrl}?peer-id=cam`, size: SIZE, source: SOURCE,
    props: ['video-codecs=<VP8>', ...props, ...SINK_PROPS],
  });
  await sender.waitFor(/"connected": true/, 20000);
  const receiver = rig.peer(`net-${tag}-rcv`, 'receiver', {
    uri: `${relay.wsUrl}?peer-id=cam`, props: [...props, ...SRC_PROPS], latency: SRC_LATENCY,
  });
  await guard(receiver.waitFor(/"n": 30, /, 40000), receiver, sender);
  const out = {};
  for (const ph of PHASES) {
    const loss = ph.key;
    await applyPhase(rig, ph);
    const adapt = await adaptTime(ph,
        async () => statField((await elementSnapshot(sender)).text, 'target-bps'));
    await wait(SETTLE_MS);
    const s0 = await elementSnapshot(sender);
    const r0 = await elementSnapshot(receiver);
    const c0 = await rig.counters('snd');
    await wait(SECONDS * 1000);
    const s1 = await elementSnapshot(sender);
    const r1 = await elementSnapshot(receiver);
    const c1 = await rig.counters('snd');
    const times = receiver.events.filter((e) => e.event === 'frame' && e.t >= r0.t && e.t <= r1.t)
        .map((e) => e.t);
    const secs = r1.t - r0.t;
    const sd = (f) => statField(s1.text, f) - statField(s0.text, f);
    const rd = (f) => statField(r1.text, f) - statField(r0.text, f);
    const sent = sd('packets-sent');
    const rtx = sd('packets-retransmitted');
    const perPacket = sent ? txBytes(c0, c1) / sent : 0;
    out[loss] = summary({
      secs, frames: times.length, fr: freezes(times),
      framesLost: (s1.encoded - s0.encoded) - times.length,
      lostForGood: rd('packets-lost'), packets: sent - rtx, rtxPackets: rtx,
      rtxBytes: rtx * perPacket, mediaBytes: (sent - rtx) * perPacket,
      extra: { sender_fps: Number(((s1.encoded - s0.encoded) / secs).toFixed(2)),
        nacks_sent: rd('nacks-sent'), recovered: rd('recovered-by-retransmission'),
        fec_protected: sd('fec-protected-packets'), recovered_by_fec: rd('recovered-by-fec'),
        fec_unrecovered: rd('fec-unrecovered'),
        plis_sent: rd('plis-sent'), bytes_estimated: true, adapt_s: adapt,
        estimate_kbit_s: statField(s1.text, 'estimate-bps') / 1000,
        size: lastSize(receiver),
        ...capFigures(ph, c0, c1, secs) },
    });
    log(`  ${tag} ${loss}%: ${JSON.stringify(out[loss])}`);
  }
  return out;
}

// --trace (Chromium viewers): the viewer's SDP, the time each loss window
// starts and every freeze the viewer counts (getStats polled every 50 ms),
// with what its counters did in the 600 ms before, on stderr; times on the
// monotonic clock above, for bench/network/nack_timeline.py to match with
// the sender's GST_DEBUG=rtprtxsend:7 log. A freeze whose 600 ms show far
// fewer packets than usual (~90 at 1.3 Mbit/s) is a stall of the machine,
// not of loss recovery.
const TRACE = argv.includes('--trace');
async function logSdp(page, v) {
  for (const side of ['local', 'remote']) {
    const lines = (v?.sdp?.[side] ?? '').split('\r\n').filter((l) =>
      /^(m=|a=(rtcp-fb|rtpmap|fmtp|extmap|rtcp-rsize|ssrc-group|sendrecv|sendonly|recvonly|inactive))/
          .test(l));
    log(`  viewer ${side} SDP:\n    ${lines.join('\n    ')}`);
  }
  // What the viewer sends, and whether it knows a round-trip time for what
  // it receives (RTCP XR DLRR: remote-outbound-rtp roundTripTime).
  const rtt = await page.evaluate(async () => {
    const report = await window.gwsControl.sessions()[0].pc.getStats();
    return [...report.values()].filter((r) =>
      ['outbound-rtp', 'remote-outbound-rtp', 'remote-inbound-rtp'].includes(r.type))
        .map((r) => ({ type: r.type, kind: r.kind, packetsSent: r.packetsSent,
          roundTripTime: r.roundTripTime,
          totalRoundTripTime: r.totalRoundTripTime,
          roundTripTimeMeasurements: r.roundTripTimeMeasurements }));
  });
  log(`  viewer sends / RTT: ${JSON.stringify(rtt)}`);
}
async function traceFreezes(page, ms) {
  const t0 = monotonic();
  const seen = []; // [t, inbound], the last second
  while ((monotonic() - t0) * 1000 < ms) {
    const i = (await pageVideoStats(page))?.inbound;
    const t = monotonic();
    const last = seen.length ? seen[seen.length - 1][1] : null;
    if (i && last && i.freezeCount > last.freezeCount) {
      // What happened in the 600 ms before the poll that saw it.
      const [, b] = seen.find(([tb]) => t - tb <= 0.6) ?? seen[0];
      log(`  freeze at t=${t.toFixed(3)}: ${((i.totalFreezesDuration -
          last.totalFreezesDuration) * 1000).toFixed(0)} ms; last 600 ms: nacks +${i.nackCount -
          b.nackCount}, lost +${i.packetsLost - b.packetsLost}, rtx +${
          i.retransmittedPacketsReceived - b.retransmittedPacketsReceived}, plis +${
          i.pliCount - b.pliCount}, keyframes +${i.keyFramesDecoded - b.keyFramesDecoded}, packets +${
          i.packetsReceived - b.packetsReceived}, frames +${i.framesReceived - b.framesReceived}`);
    }
    if (i) seen.push([t, i]);
    while (seen.length && t - seen[0][0] > 1) seen.shift();
    await wait(50);
  }
}

// -- webrtcsink -> Chromium -------------------------------------------------
async function chromiumViewer(rig, relay, producerId, name) {
  const browser = await rig.chromium('rcv', relay.httpUrl);
  const page = await openPage(browser.context, name, `${relay.httpUrl}?${PAGE_OPTS}`);
  await until(page, () => window.gwsState.relayState === 'ready', null, 15000, 'the viewer ready');
  const item = page.locator(`#producers li[data-peer-id="${producerId}"]`);
  await item.waitFor({ timeout: 30000 });
  await item.click();
  await waitForPlayback(page, 40000);
  return { browser, page };
}

function chromiumReceiverFigures(a, b) {
  const i1 = a.inbound, i0 = b.inbound;
  const secs = (i1.timestamp - i0.timestamp) / 1000;
  return {
    secs,
    frames: d(i1, i0, 'framesDecoded'),
    fr: { count: d(i1, i0, 'freezeCount'), total: d(i1, i0, 'totalFreezesDuration') },
    // packetsLost counts the packets RTX repaired too (libwebrtc leaves
    // recovered packets out of its receive statistics): those unrepaired
    // are the lost ones no retransmission replaced.
    lostForGood: Math.max(0, d(i1, i0, 'packetsLost') - d(i1, i0, 'retransmittedPacketsReceived')),
    extra: {
      packets_lost_before_recovery: d(i1, i0, 'packetsLost'),
      nacks_sent: d(i1, i0, 'nackCount'), plis_sent: d(i1, i0, 'pliCount'),
      frames_dropped: d(i1, i0, 'framesDropped'),
      keyframes_decoded: d(i1, i0, 'keyFramesDecoded'),
      rtx_packets_received: d(i1, i0, 'retransmittedPacketsReceived'),
      packets_received: d(i1, i0, 'packetsReceived'),
      fec_packets_received: d(i1, i0, 'fecPacketsReceived'),
      fec_packets_discarded: d(i1, i0, 'fecPacketsDiscarded'),
      jitter_buffer_ms: Number((1000 * d(i1, i0, 'jitterBufferDelay') /
          Math.max(1, d(i1, i0, 'jitterBufferEmittedCount'))).toFixed(1)),
      size: `${i1.frameWidth}x${i1.frameHeight}`,
    },
  };
}

async function sinkToChromium(rig) {
  const relay = await rig.relay('net-sink-chromium-relay');
  const sender = rig.peer('net-sink-chromium-snd', 'sender', {
    uri: `${relay.wsUrl}?peer-id=cam`, size: SIZE, source: SOURCE,
    props: ['video-codecs=<VP8>', ...SINK_PROPS],
  });
  await sender.waitFor(/"connected": true/, 20000);
  const { browser, page } = await guard(chromiumViewer(rig, relay, 'cam', 'net-sink-chromium-page'),
      sender);
  const out = {};
  try {
    for (const [i, loss] of LOSSES.entries()) {
      const key = lossKey(loss, i);
      if (TRACE) log(`  loss ${loss}% set at t=${monotonic().toFixed(3)}`);
      await rig.setLoss(loss);
      await wait(SETTLE_MS);
      const s0 = await elementSnapshot(sender);
      const v0 = await pageVideoStats(page);
      if (TRACE && i === 0) await logSdp(page, v0);
      if (TRACE) await traceFreezes(page, SECONDS * 1000);
      else await wait(SECONDS * 1000);
      const s1 = await elementSnapshot(sender);
      const v1 = await pageVideoStats(page);
      const f = chromiumReceiverFigures(v1, v0);
      const sd = (x) => statField(s1.text, x) - statField(s0.text, x);
      const rtx = sd('packets-retransmitted');
      out[key] = summary({
        ...f, framesLost: (s1.encoded - s0.encoded) - f.frames,
        packets: sd('packets-sent') - rtx, rtxPackets: rtx,
        rtxBytes: d(v1.inbound, v0.inbound, 'retransmittedBytesReceived'),
        mediaBytes: d(v1.inbound, v0.inbound, 'bytesReceived') -
            d(v1.inbound, v0.inbound, 'retransmittedBytesReceived'),
        extra: { ...f.extra, sender_fps: Number(((s1.encoded - s0.encoded) / f.secs).toFixed(2)),
          nacks_received: sd('nacks-received'), plis_received: sd('plis-received'),
          fec_protected: sd('fec-protected-packets'),
          firs_received: sd('firs-received') },
      });
      log(`  sink-chromium ${loss}%: ${JSON.stringify(out[key])}`);
    }
  } finally {
    await browser.close();
  }
  return out;
}

// -- Chromium -> Chromium (the anchor) ---------------------------------------
async function chromiumToChromium(rig) {
  const relay = await rig.relay('net-chromium-relay');
  const pub = await rig.chromium('snd', relay.httpUrl);
  await cameraOnly(pub.context, SIZE_W, SIZE_H);
  let viewer = null;
  const out = {};
  try {
    const ppage = await openPage(pub.context, 'net-chromium-publisher',
        `${relay.httpUrl}?peer-id=web-cam&name=Anchor&${PAGE_OPTS}`);
    await until(ppage, () => window.gwsState.relayState === 'ready', null, 15000, 'publisher ready');
    await ppage.click('#publish');
    await until(ppage, () => window.gwsState.publish.state === 'publishing', null, 15000, 'publishing');
    viewer = await chromiumViewer(rig, relay, 'web-cam', 'net-chromium-viewer');
    for (const ph of PHASES) {
      const loss = ph.key;
      await applyPhase(rig, ph);
      const adapt = await adaptTime(ph,
          async () => (await pageVideoStats(ppage)).outbound?.targetBitrate ?? 0);
      await wait(SETTLE_MS);
      const c0 = await rig.counters('snd');
      const p0 = await pageVideoStats(ppage);
      const v0 = await pageVideoStats(viewer.page);
      if (TRACE && ph === PHASES[0]) await logSdp(viewer.page, v0);
      if (TRACE) await traceFreezes(viewer.page, SECONDS * 1000);
      else await wait(SECONDS * 1000);
      const p1 = await pageVideoStats(ppage);
      const v1 = await pageVideoStats(viewer.page);
      const c1 = await rig.counters('snd');
      const f = chromiumReceiverFigures(v1, v0);
      const o1 = p1.outbound, o0 = p0.outbound;
      const rtxB = d(o1, o0, 'retransmittedBytesSent');
      const rtxP = d(o1, o0, 'retransmittedPacketsSent');
      out[loss] = summary({
        ...f, framesLost: d(o1, o0, 'framesEncoded') - f.frames,
        packets: d(o1, o0, 'packetsSent') - rtxP, rtxPackets: rtxP,
        rtxBytes: rtxB, mediaBytes: d(o1, o0, 'bytesSent') - rtxB,
        extra: { ...f.extra, sender_fps: Number((d(o1, o0, 'framesEncoded') / f.secs).toFixed(2)),
          sender_size: `${o1.frameWidth}x${o1.frameHeight}`,
          quality_limitation: o1.qualityLimitationReason, adapt_s: adapt,
          target_kbit_s: (o1.targetBitrate ?? 0) / 1000,
          ...capFigures(ph, c0, c1, f.secs) },
      });
      log(`  chromium ${loss}%: ${JSON.stringify(out[loss])}`);
    }
  } finally {
    if (viewer) await viewer.browser.close();
    await pub.close();
  }
  return out;
}

const SCENARIOS = {
  'sink-src': (rig) => sinkToSrc(rig, true),
  'sink-chromium': sinkToChromium,
  chromium: chromiumToChromium,
  floor: (rig) => sinkToSrc(rig, false),
};

async function main() {
  const missing = missingRequirement({ elements: true });
  const result = { seconds: SECONDS, losses: CAPS ? [] : LOSSES, caps: CAPS ?? [],
    size: SIZE, codec: 'VP8',
    src_latency_ms: SRC_LATENCY, delay_ms: DELAY_MS, jitter_ms: JITTER_MS,
    scenarios: {} };
  if (missing) {
    result.error = missing;
    console.log(JSON.stringify(result));
    return;
  }
  for (const name of ALL.filter((n) => ONLY.includes(n))) {
    log(`network: ${name}`);
    const rig = await Rig.create({ delayed: DELAY_MS > 0 ? ['A', 'B', 'S'] : [] });
    try {
      if (DELAY_MS > 0) await rig.setDelay(DELAY_MS, JITTER_MS);
      result.scenarios[name] = await SCENARIOS[name](rig);
    } catch (e) {
      result.scenarios[name] = { error: String(e.stack || e).slice(0, 2000) };
      log(`  ${name}: ERROR ${e.stack || e}`);
    } finally {
      await rig.close();
    }
  }
  console.log(JSON.stringify(result));
}

main().then(() => process.exit(0), (e) => {
  console.error(e);
  process.exit(1);
});
