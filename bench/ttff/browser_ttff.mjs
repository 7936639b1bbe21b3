// Time to first frame in a warm Chromium viewer: playing webrtcsink against
// playing another Chromium page (the anchor), alternately, in one run.
//
// One relay, one webrtcsink producer (`videotestsrc is-live=true
// pattern=ball`, I420 640x480@30, VP8, ice-addresses=127.0.0.1: the ttff
// producer), one Chromium publisher page (its fake camera, 640x480) and one
// viewer page, all in a private network namespace on 127.0.0.1. Each run,
// the viewer clicks a producer in its list and the page measures (its
// performance.now()) from the click to the first decoded frame on its
// <video> (a new srcObject with a decoded size, polled every 2 ms), then
// stops playing. The two producers alternate, so both see the same load.
// The viewer page, its JavaScript and the browser are warm in both cases;
// what differs is the far end: our element or libwebrtc.
//
// Usage: node bench/ttff/browser_ttff.mjs [--runs N]   (root; env GWS_RELAY,
// GWS_PLUGIN_DIR as for the browser tests). Prints one JSON line.

import os from 'node:os';
import {
  enterPrivateNetwork, missingRequirement, startRelay, gstLaunch, launchChromium,
  openPage, until,
} from '../../tests/browser/harness.mjs';

enterPrivateNetwork();

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 10;

function summary(values) {
  const v = [...values].sort((a, b) => a - b);
  const at = (p) => (v.length ? v[Math.min(v.length - 1, Math.round((p / 100) * (v.length - 1)))] : null);
  return { n: v.length, p50: at(50), p95: at(95), min: v[0] ?? null, max: v[v.length - 1] ?? null };
}

// Every RTCPeerConnection the page makes records when its remote offer
// is applied, ICE connects and DTLS connects (window.__gwsMarks).
function instrument() {
  if (window.__gwsMarks) return;
  window.__gwsMarks = {};
  const Base = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Base {
    constructor(...args) {
      super(...args);
      const m = window.__gwsMarks;
      this.addEventListener('iceconnectionstatechange', () => {
        if (['connected', 'completed'].includes(this.iceConnectionState) && !m.ice) {
          m.ice = performance.now();
        }
      });
      this.addEventListener('connectionstatechange', () => {
        if (this.connectionState === 'connected' && !m.dtls) m.dtls = performance.now();
      });
    }

    setRemoteDescription(desc, ...rest) {
      const m = window.__gwsMarks;
      if (!m.offer) m.offer = performance.now();
      return super.setRemoteDescription(desc, ...rest);
    }
  };
}

// Click on producer @id in the viewer; ms from the click to its first
// frame, and the phases: to the remote offer, ICE connected, DTLS
// connected, first frame.
async function playOnce(viewer, id) {
  const ms = await viewer.evaluate((peer) => new Promise((resolve) => {
    const v = document.getElementById('remote-video');
    const before = v.srcObject;
    const item = document.querySelector(`#producers li[data-peer-id="${peer}"]`);
    window.__gwsMarks = {};
    const t0 = performance.now();
    item.click();
    const deadline = t0 + 20000;
    const poll = () => {
      const now = performance.now();
      if (v.srcObject && v.srcObject !== before && v.videoWidth > 0 && v.readyState >= 2) {
        const m = window.__gwsMarks;
        const rel = (x) => (x ? x - t0 : null);
        resolve({ total: now - t0, offer: rel(m.offer), ice: rel(m.ice), dtls: rel(m.dtls) });
      } else if (now > deadline) {
        resolve(null);
      } else {
        setTimeout(poll, 2);
      }
    };
    poll();
  }), id);
  await viewer.click('#stop-playing');
  await until(viewer, () => window.gwsState.play.state === 'idle', null, 5000,
      'the viewer to stop');
  return ms;
}

async function main() {
  const skip = missingRequirement({ elements: true });
  if (skip) {
    console.log(JSON.stringify({ error: skip }));
    return;
  }
  const relay = await startRelay('browser-ttff-relay');
  const producer = gstLaunch('browser-ttff-gst',
      'videotestsrc is-live=true pattern=ball ' +
      '! video/x-raw,format=I420,width=640,height=480,framerate=30/1 ' +
      `! webrtcsink uri="${relay.wsUrl}?peer-id=cam" ice-addresses=127.0.0.1 ` +
      'video-codecs="<VP8>"');
  const browser = await launchChromium();
  const out = { runs: RUNS };
  try {
    const publisher = await openPage(browser.context, 'browser-ttff-publisher',
        `${relay.httpUrl}?peer-id=chromium`);
    const viewer = await openPage(browser.context, 'browser-ttff-viewer', relay.httpUrl);
    await viewer.evaluate(instrument);
    for (const page of [publisher, viewer]) {
      await until(page, () => window.gwsState.relayState === 'ready', null, 10000,
          'the page to register at the relay');
    }
    await publisher.click('#publish');
    await until(publisher, () => window.gwsState.publish.state === 'publishing', null, 10000,
        'the publisher to publish');
    for (const id of ['cam', 'chromium']) {
      await viewer.locator(`#producers li[data-peer-id="${id}"]`).waitFor({ timeout: 20000 });
      await playOnce(viewer, id); // warm-up, not counted
    }
    const ours = [];
    const anchor = [];
    for (let i = 0; i < RUNS; i++) {
      ours.push(await playOnce(viewer, 'cam'));
      anchor.push(await playOnce(viewer, 'chromium'));
    }
    const ok = (v) => v.filter((x) => x !== null);
    // Phases (medians): click -> remote offer applied, -> ICE connected,
    // ICE -> DTLS connected, DTLS -> first frame.
    const phases = (v) => {
      const med = (f) => summary(ok(v).map(f).filter((x) => x !== null && !Number.isNaN(x))).p50;
      return {
        offer: med((r) => r.offer),
        ice: med((r) => (r.ice !== null && r.offer !== null ? r.ice - r.offer : null)),
        dtls: med((r) => (r.dtls !== null && r.ice !== null ? r.dtls - r.ice : null)),
        frame: med((r) => (r.dtls !== null ? r.total - r.dtls : null)),
      };
    };
    out.webrtcsink = {
      ...summary(ok(ours).map((r) => r.total)), failed: ours.length - ok(ours).length,
      phases: phases(ours),
    };
    out.chromium = {
      ...summary(ok(anchor).map((r) => r.total)), failed: anchor.length - ok(anchor).length,
      phases: phases(anchor),
    };
    out.load = os.loadavg()[0];
  } catch (e) {
    out.error = String(e).split('\n')[0];
  } finally {
    await browser.close();
    await producer.stop('SIGINT');
    await relay.proc.stop();
  }
  console.log(JSON.stringify(out));
}

await main();
