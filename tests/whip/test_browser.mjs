// A real, published browser WHIP/WHEP client library from npm, `whip-whep`
// (Medooze's WHIPClient / WHEPClient, by an author of the WHIP RFC), running
// in headless Chromium against our servers, in a private network namespace:
//  - WHIP: the page publishes its fake camera and microphone to webrtcsrc +
//    our WHIP server; the GStreamer side decodes video and audio; the
//    client's stop() DELETEs and the server ends the session.
//  - WHEP: the page plays webrtcsink + our WHEP server; Chromium decodes
//    video and audio; stop() DELETEs.
// The page is served from another origin (another port), so CORS is
// exercised too.

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import test from 'node:test';
import assert from 'node:assert/strict';

import {
  enterPrivateNetwork, missingRequirement, launchChromium, openPage, Proc,
  guard, sourceRoot,
} from '../browser/harness.mjs';

enterPrivateNetwork();

const host = process.env.GWS_WHIP_HOST;
const libDir = process.env.GWS_WHIP_WHEP_DIR ||
    path.join(sourceRoot, 'node_modules', 'whip-whep');
const TOKEN = 'browser-token';

function skipReason() {
  if (process.env.GWS_SANITIZED) return 'sanitizer build: the browser suites run in the default build';
  const missing = missingRequirement({ elements: true });
  if (missing) return missing;
  if (!host || !fs.existsSync(host)) return 'GWS_WHIP_HOST (whip-host) not built';
  if (!fs.existsSync(path.join(libDir, 'whip.js'))) {
    return `npm package whip-whep not installed (${libDir}); add "whip-whep": "1.2.0" ` +
        'to package.json devDependencies and run npm ci';
  }
  return null;
}

// The page and the library come from a small HTTP server of this test on
// 127.0.0.1 (a secure context for getUserMedia, and the same address space
// as the servers, so Chromium's private-network checks stay out of the
// way); its port differs from the WHIP/WHEP server's, so every request is
// cross-origin and CORS is exercised.
async function startPageServer() {
  const server = http.createServer((req, res) => {
    const file = new URL(req.url, 'http://x').pathname.slice(1);
    if (file === 'whip.js' || file === 'whep.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript' });
      res.end(fs.readFileSync(path.join(libDir, file)));
    } else {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<!doctype html><title>whip</title><video autoplay muted></video>');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

async function pageWithLibrary(context, name, server) {
  const page = await openPage(context, name);
  await page.goto(`http://127.0.0.1:${server.address().port}/index.html`);
  return page;
}

async function startHost(mode) {
  const proc = new Proc(`whip-host-${mode}`, host, [mode, TOKEN]);
  const m = await proc.waitFor(/^listening (http\S+)/m, 15000);
  return { proc, url: m[1] };
}

const reason = skipReason();

test('a browser publishes with whip-whep\'s WHIPClient to webrtcsrc + WHIP server', { skip: reason || false, timeout: 90000 }, async () => {
  const { proc, url } = await startHost('whip-receive');
  const { context, close } = await launchChromium();
  const server = await startPageServer();
  try {
    const page = await pageWithLibrary(context, 'whip-publish', server);
    await guard(page.evaluate(async ({ url, token }) => {
      const { WHIPClient } = await import('/whip.js');
      const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 }, audio: true });
      const pc = new RTCPeerConnection();
      for (const track of stream.getTracks()) {
        pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
      }
      window.whip = new WHIPClient();
      await window.whip.publish(pc, url, token);
    }, { url, token: TOKEN }), proc);
    await proc.waitFor(/^session \S+/m, 10000);
    await proc.waitFor(/^frames video (3\d|[4-9]\d|\d{3,})/m, 30000);
    await proc.waitFor(/^frames audio (3\d|[4-9]\d|\d{3,})/m, 30000);
    const from = proc.output.length;
    await page.evaluate(() => window.whip.stop());
    await proc.waitFor(/^ended \S+ .*DELETE/m, 10000, { from });
    assert.ok(!/^error /m.test(proc.output), proc.output);
  } finally {
    server.close();
    await close();
    await proc.stop();
  }
});

test('a browser plays webrtcsink + WHEP server with whip-whep\'s WHEPClient', { skip: reason || false, timeout: 90000 }, async () => {
  const { proc, url } = await startHost('whep-serve');
  const { context, close } = await launchChromium();
  const server = await startPageServer();
  try {
    const page = await pageWithLibrary(context, 'whep-play', server);
    await guard(page.evaluate(async ({ url, token }) => {
      const { WHEPClient } = await import('/whep.js');
      const pc = new RTCPeerConnection();
      pc.addTransceiver('video', { direction: 'recvonly' });
      pc.addTransceiver('audio', { direction: 'recvonly' });
      const stream = new MediaStream();
      pc.ontrack = (e) => {
        stream.addTrack(e.track);
        document.querySelector('video').srcObject = stream;
      };
      window.pc = pc;
      window.whep = new WHEPClient();
      await window.whep.view(pc, url, token);
    }, { url, token: TOKEN }), proc);
    await proc.waitFor(/^session \S+/m, 10000);
    // Chromium decodes video frames and audio samples.
    await page.waitForFunction(async () => {
      const stats = await window.pc.getStats();
      let video = 0;
      let audio = 0;
      stats.forEach((s) => {
        if (s.type !== 'inbound-rtp') return;
        if (s.kind === 'video') video = s.framesDecoded || 0;
        if (s.kind === 'audio') audio = s.totalSamplesReceived || 0;
      });
      return video > 30 && audio > 48000;
    }, null, { timeout: 30000, polling: 200 });
    const from = proc.output.length;
    await page.evaluate(() => window.whep.stop());
    await proc.waitFor(/^ended \S+ .*DELETE/m, 10000, { from });
    assert.ok(!/^error /m.test(proc.output), proc.output);
  } finally {
    server.close();
    await close();
    await proc.stop();
  }
});
