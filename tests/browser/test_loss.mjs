// Loss recovery with Chromium at one end (issue 11), in the network rig of
// tests/restart (netpaths.py via netrig.mjs): the element in one namespace,
// Chromium in the other, 3% random UDP loss on arrival at both ends (so
// media, RTCP, NACKs and retransmissions are all lost at 3%), the page
// served by the relay on the never-impaired signalling link.
//
// (a) webrtcsink (640x480 VP8 test pattern) -> the page playing it:
//     Chromium sends NACKs, webrtcsink retransmits, and Chromium's own
//     freeze counter stays small.
// (b) the page publishing its fake camera -> webrtcsrc: webrtcsrc sends
//     NACKs, Chromium retransmits, and few packets are lost for good.
// Both check that the negotiated SDP has nack and rtx for VP8 both ways.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  enterPrivateNetwork, missingRequirement, openPage, screenshot, until, waitForPlayback, guard,
} from './harness.mjs';
import {
  Rig, cameraOnly, pageVideoStats, elementStats, elementSdp, statField, freezes, hasVp8Recovery,
} from './netrig.mjs';

enterPrivateNetwork();

const skip = missingRequirement({ elements: true });
const LOSS = Number(process.env.GWS_TEST_LOSS || 3); // percent, each way (env: experiments by hand)
// 320x240 as in tests/netcond: at 640x480 webrtcsink's VP8 encoder made
// 5 frames/s on this shared 2-core machine under load, loss or not.
const SIZE = '320x240';
const WINDOW_MS = 15000; // the measured stretch under loss
// GWS_TEST_NO_RTX=1 (by hand): the element without retransmission, to see
// the assertions fail. GWS_TEST_SRC_PROPS="latency=100 ..." (by hand): more
// element properties, for experiments.
const ELEMENT_PROPS = [...(process.env.GWS_TEST_NO_RTX === '1' ? ['do-retransmission=false'] : []),
  ...(process.env.GWS_TEST_SRC_PROPS ? process.env.GWS_TEST_SRC_PROPS.split(' ') : [])];
const PAGE_OPTS = 'auto-restart=0&path-timeout=0'; // loss is not a dead path

const monotonic = () => Number(process.hrtime.bigint()) / 1e9; // CLOCK_MONOTONIC, as peer.py's "t"

function delta(after, before, field) {
  return (after?.[field] ?? 0) - (before?.[field] ?? 0);
}

test(`Chromium plays webrtcsink under ${LOSS}% loss both ways: NACKs, retransmissions, ` +
    'few freezes', { skip: skip || false, timeout: 120000 }, async () => {
  const rig = await Rig.create();
  let browser = null;
  try {
    const relay = await rig.relay('loss-sink-relay');
    const sender = rig.peer('loss-sink-gst', 'sender', {
      uri: `${relay.wsUrl}?peer-id=cam`, size: SIZE,
      source: 'pattern=smpte horizontal-speed=3', props: ['video-codecs=<VP8>', ...ELEMENT_PROPS],
    });
    browser = await rig.chromium('rcv', relay.httpUrl);
    const page = await openPage(browser.context, 'loss-sink-page', `${relay.httpUrl}?${PAGE_OPTS}`);
    await until(page, () => window.gwsState.relayState === 'ready', null, 15000,
        'the page to register at the relay');
    const item = page.locator('#producers li[data-peer-id="cam"]');
    await guard(item.waitFor({ timeout: 20000 }), sender);
    await item.click();
    await guard(waitForPlayback(page, 30000), sender);

    const before = await pageVideoStats(page);
    const sBefore = await elementStats(sender);
    await rig.setLoss(LOSS);
    await new Promise((r) => setTimeout(r, WINDOW_MS)); // the measurement window itself
    const after = await pageVideoStats(page);
    const sAfter = await elementStats(sender);
    await rig.setLoss(0);
    await screenshot(page, 'loss-sink');

    const secs = (after.inbound.timestamp - before.inbound.timestamp) / 1000;
    const m = {
      fps: delta(after.inbound, before.inbound, 'framesDecoded') / secs,
      freezes: delta(after.inbound, before.inbound, 'freezeCount'),
      freezeS: delta(after.inbound, before.inbound, 'totalFreezesDuration'),
      nacks: delta(after.inbound, before.inbound, 'nackCount'),
      plis: delta(after.inbound, before.inbound, 'pliCount'),
      lost: delta(after.inbound, before.inbound, 'packetsLost'),
      received: delta(after.inbound, before.inbound, 'packetsReceived'),
      rtxReceived: delta(after.inbound, before.inbound, 'retransmittedPacketsReceived'),
      retransmitted: statField(sAfter, 'packets-retransmitted') -
          statField(sBefore, 'packets-retransmitted'),
      nacksReceived: statField(sAfter, 'nacks-received') - statField(sBefore, 'nacks-received'),
    };
    console.log(`# webrtcsink -> Chromium, ${LOSS}% both ways, ${secs.toFixed(1)} s: ` +
        `${m.fps.toFixed(1)} frames/s decoded, ${m.freezes} freezes (${(m.freezeS * 1000).toFixed(0)} ms), ` +
        `NACKs ${m.nacks} (webrtcsink got ${m.nacksReceived}), retransmitted ${m.retransmitted} ` +
        `(Chromium got ${m.rtxReceived}), lost ${m.lost} of ${m.received}, PLIs ${m.plis}`);
    const keys = ['framesReceived', 'framesDecoded', 'framesDropped', 'keyFramesDecoded', 'firCount',
      'jitterBufferDelay', 'jitterBufferEmittedCount', 'framesAssembledFromMultiplePackets', 'pauseCount',
      'totalPausesDuration', 'bytesReceived', 'headerBytesReceived', 'retransmittedBytesReceived'];
    console.log('# ' + keys.map((k) => `${k} ${delta(after.inbound, before.inbound, k)}`).join(', ') +
        ` ${after.inbound.decoderImplementation} ${after.inbound.frameWidth}x${after.inbound.frameHeight}`);

    // Both SDPs (Chromium's answer, webrtcsink's offer) negotiate recovery.
    assert.ok(hasVp8Recovery(after.sdp.remote), "webrtcsink's offer has nack + rtx for VP8");
    assert.ok(hasVp8Recovery(after.sdp.local), "Chromium's answer has nack + rtx for VP8");
    const el = await elementSdp(sender);
    assert.ok(hasVp8Recovery(el.local) && hasVp8Recovery(el.remote), 'webrtcsink sees the same');

    assert.ok(m.nacks > 0, 'Chromium sent NACKs');
    assert.ok(m.retransmitted > 0, 'webrtcsink retransmitted');
    // Measured over 15 s at 3%: without retransmission (GWS_TEST_NO_RTX=1)
    // 2.4 frames/s and 13.5 s frozen; the Chromium -> Chromium anchor over
    // the same link (bench/network) 0 freezes; we 0 s on a quiet machine,
    // 1.28 s once with the load average at 13 (webrtcsink's encoder then
    // made 17 frames/s, unevenly). A packet whose NACK and retransmission
    // are both lost costs a key frame (a freeze of ~200-300 ms). 1.5 s
    // (a tenth of the window) separates working recovery from none.
    assert.ok(m.freezeS < 1.5, `frozen ${m.freezeS.toFixed(2)} s of ${secs.toFixed(1)}`);
    assert.ok(m.fps > 12, `decoded ${m.fps.toFixed(1)} frames/s`);
  } finally {
    if (browser) await browser.close();
    await rig.close();
  }
});

test(`webrtcsrc receives Chromium's camera under ${LOSS}% loss both ways: its NACKs make ` +
    'Chromium retransmit', { skip: skip || false, timeout: 120000 }, async () => {
  const rig = await Rig.create();
  let browser = null;
  try {
    const relay = await rig.relay('loss-src-relay');
    browser = await rig.chromium('snd', relay.httpUrl);
    await cameraOnly(browser.context, 320, 240);
    const page = await openPage(browser.context, 'loss-src-page',
        `${relay.httpUrl}?peer-id=web-cam&name=Lossy&${PAGE_OPTS}`);
    await until(page, () => window.gwsState.relayState === 'ready', null, 15000,
        'the page to register at the relay');
    await page.click('#publish');
    await until(page, () => window.gwsState.publish.state === 'publishing', null, 10000,
        'the page to publish');
    const receiver = rig.peer('loss-src-gst', 'receiver', {
      uri: `${relay.wsUrl}?peer-id=web-cam`, props: ['video-codecs=<VP8>', ...ELEMENT_PROPS], extra: ['--sink-other'],
    });
    await guard(until(page, () => {
      const s = window.gwsState.publish.sessions;
      return s.length === 1 && s[0].state === 'connected';
    }, null, 30000, 'webrtcsrc connected as a viewer'), receiver);
    await guard(receiver.waitFor(/"n": 60, /, 30000), receiver);

    const before = await pageVideoStats(page);
    const rBefore = await elementStats(receiver);
    const t0 = monotonic();
    await rig.setLoss(LOSS);
    await new Promise((r) => setTimeout(r, WINDOW_MS)); // the measurement window itself
    const t1 = monotonic();
    const after = await pageVideoStats(page);
    const rAfter = await elementStats(receiver);
    await rig.setLoss(0);
    await screenshot(page, 'loss-src');

    const times = receiver.events.filter((e) => e.event === 'frame' && e.t >= t0 && e.t <= t1)
        .map((e) => e.t);
    const f = freezes(times);
    const d = (name) => statField(rAfter, name) - statField(rBefore, name);
    const m = {
      fps: times.length / (t1 - t0),
      nacksSent: d('nacks-sent'),
      lostForGood: d('packets-lost'),
      received: d('rtp-packets-received'),
      recovered: d('recovered-by-retransmission'),
      rtxSent: delta(after.outbound, before.outbound, 'retransmittedPacketsSent'),
      sent: delta(after.outbound, before.outbound, 'packetsSent'),
      nacksChromium: delta(after.outbound, before.outbound, 'nackCount'),
    };
    console.log(`# Chromium -> webrtcsrc, ${LOSS}% both ways, ${(t1 - t0).toFixed(1)} s: ` +
        `${m.fps.toFixed(1)} frames/s at webrtcsrc, ${f.count} freezes (${(f.total * 1000).toFixed(0)} ms, ` +
        `longest ${(f.longest * 1000).toFixed(0)} ms), NACKs sent ${m.nacksSent} ` +
        `(Chromium got ${m.nacksChromium}), Chromium retransmitted ${m.rtxSent} of ${m.sent}, ` +
        `recovered ${m.recovered}, lost for good ${m.lostForGood} of ${m.received}`);

    assert.ok(hasVp8Recovery(after.sdp.local), "Chromium's offer has nack + rtx for VP8");
    assert.ok(hasVp8Recovery(after.sdp.remote), "webrtcsrc's answer has nack + rtx for VP8");
    const el = await elementSdp(receiver);
    assert.ok(hasVp8Recovery(el.local) && hasVp8Recovery(el.remote), 'webrtcsrc sees the same');

    assert.ok(m.nacksSent > 0, 'webrtcsrc sent NACKs');
    assert.ok(m.rtxSent > 0, 'Chromium retransmitted');
    // Without retransmission (GWS_TEST_NO_RTX=1) every loss is lost for
    // good (28 of 28 in 15 s). With it and a fixed 50 ms latency: 9-15 of
    // 24-33; with the adaptive latency (gws-adaptive-latency.h) 5-9 of
    // 26-33, measured on a loaded machine. A loss stays unrepaired when its
    // NACK or the retransmission is lost too (3% each), or when the gap
    // shows only with the next frame (33 ms later: Chromium's 320x240
    // frames are 1-3 packets) and the retransmission misses the latency
    // (50 ms at first; it grows when that happens).
    const latency = statField(rAfter, 'jitter-buffer-latency-ms');
    console.log(`# webrtcsrc's jitter-buffer latency at the end: ${latency} ms`);
    assert.ok(latency >= 50 && latency <= 200, `jitter-buffer latency ${latency} ms`);
    const losses = m.recovered + m.lostForGood;
    assert.ok(m.lostForGood <= 0.5 * losses + 2,
        `lost for good ${m.lostForGood} of ${losses} losses`);
    assert.ok(f.total < 1.5, `frozen ${f.total.toFixed(2)} s at webrtcsrc`);
  } finally {
    if (browser) await browser.close();
    await rig.close();
  }
});
