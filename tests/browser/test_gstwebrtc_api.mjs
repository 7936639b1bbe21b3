// Wire compatibility with the upstream JavaScript client: gstwebrtc-api 3.0.0
// from npm (its published ES module bundle, served by our relay, nothing
// fetched from the internet) runs in Chromium against gst-webrtc-relay. It
// lists and consumes a producer published by our web client, our web client
// plays a producer published by it, and it plays webrtcsink.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, after } from 'node:test';
import {
  enterPrivateNetwork, missingRequirement, startRelay, gstLaunch, launchChromium,
  openPage, screenshot, until, waitForPlayback, guard, sourceRoot, webRoot,
  assertCameraSize, waitForVideoSize,
} from './harness.mjs';

enterPrivateNetwork();

const bundle = path.join(sourceRoot, 'node_modules', 'gstwebrtc-api', 'dist',
    'gstwebrtc-api-3.0.0.esm.js');
const skipBase = missingRequirement() ||
    (fs.existsSync(bundle) ? null : 'gstwebrtc-api 3.0.0 is not installed (npm ci)');
const skipElements = skipBase || missingRequirement({ elements: true });

// One web root with our client at / and the upstream client at /compat/.
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gws-web-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
if (!skipBase) {
  fs.cpSync(webRoot, root, { recursive: true });
  fs.cpSync(path.join(sourceRoot, 'tests', 'browser', 'compat'),
      path.join(root, 'compat'), { recursive: true });
  fs.copyFileSync(bundle, path.join(root, 'compat', 'gstwebrtc-api.js'));
}

async function openCompat(context, name, relay) {
  const page = await openPage(context, name, `${relay.httpUrl}compat/`);
  await until(page, () => window.compat && window.compat.connected, null, 10000,
      'gstwebrtc-api to count itself connected (its own listener peerStatusChanged)');
  return page;
}

// Video frames decoding in the compat page's <video>.
async function compatPlays(page, timeoutMs = 20000) {
  await until(page, () => window.compat.consumerState === 'streaming', null, timeoutMs,
      'the gstwebrtc-api consumer session to stream');
  const first = await until(page, () => {
    const v = document.getElementById('remote');
    const n = v.videoWidth > 0 && v.getVideoPlaybackQuality().totalVideoFrames;
    return n > 0 ? { width: v.videoWidth, height: v.videoHeight, frames: n } : null;
  }, null, timeoutMs, 'decoded video in the gstwebrtc-api page');
  await until(page, (n) => document.getElementById('remote')
      .getVideoPlaybackQuality().totalVideoFrames > n, first.frames, timeoutMs,
      'the decoded frame count to keep rising');
  return first;
}

test('gstwebrtc-api lists and plays a producer published by our web client',
    { skip: skipBase || false, timeout: 90000 }, async () => {
  const relay = await startRelay('compat-consume-relay', { root });
  const browser = await launchChromium();
  try {
    const ours = await openPage(browser.context, 'compat-consume-ours',
        `${relay.httpUrl}?name=Our%20camera`);
    await until(ours, () => window.gwsState.relayState === 'ready', null, 10000,
        'our page to register');
    await ours.click('#publish');
    const ourId = await until(ours, () => window.gwsState.publish.state === 'publishing' &&
        window.gwsState.peerId, null, 10000, 'our page to publish');

    const upstream = await openCompat(browser.context, 'compat-consume-upstream', relay);
    const listed = await until(upstream, (id) =>
      window.compat.producers.find((p) => p.id === id), ourId, 10000,
    'gstwebrtc-api to list our producer');
    assert.equal(listed.meta.name, 'Our camera');

    await upstream.evaluate((id) => window.compat.consume(id), ourId);
    const played = await compatPlays(upstream);
    assertCameraSize(played);
    await until(ours, () => window.gwsState.publish.sessions.some((s) => s.state === 'connected'),
        null, 10000, 'our page to show the upstream client as a connected viewer');
    assert.deepEqual(await upstream.evaluate(() => window.compat.errors), []);
    await screenshot(upstream, 'compat-upstream-plays-ours');
  } finally {
    await browser.close();
    await relay.proc.stop();
  }
});

test('our web client plays a producer published by gstwebrtc-api',
    { skip: skipBase || false, timeout: 90000 }, async () => {
  const relay = await startRelay('compat-produce-relay', { root });
  const browser = await launchChromium();
  try {
    const upstream = await openCompat(browser.context, 'compat-produce-upstream', relay);
    await upstream.evaluate(() => window.compat.produce());
    const upstreamId = await upstream.evaluate(() => window.compat.clientId);

    const ours = await openPage(browser.context, 'compat-produce-ours', relay.httpUrl);
    const item = ours.locator(`#producers li[data-peer-id="${upstreamId}"]`);
    await item.waitFor({ timeout: 10000 });
    assert.equal(await item.getAttribute('data-name'), 'upstream-client');
    await item.click();
    const played = await waitForPlayback(ours);
    assertCameraSize(played);
    await until(upstream, () => window.compat.consumers === 1 &&
        window.compat.producerState === 'streaming', null, 10000,
    'gstwebrtc-api to count our page as its consumer');
    await screenshot(ours, 'compat-ours-plays-upstream');

    // Our page stops: the upstream producer sees its consumer go.
    await ours.click('#stop-playing');
    await until(upstream, () => window.compat.consumers === 0, null, 10000,
        'gstwebrtc-api to drop the consumer that stopped');
    assert.deepEqual(await upstream.evaluate(() => window.compat.errors), []);
  } finally {
    await browser.close();
    await relay.proc.stop();
  }
});

test('gstwebrtc-api plays webrtcsink through our relay',
    { skip: skipElements || false, timeout: 90000 }, async () => {
  const relay = await startRelay('compat-sink-relay', { root });
  const producer = gstLaunch('compat-sink-gst',
      'videotestsrc is-live=true pattern=smpte ' +
      '! video/x-raw,width=640,height=480,framerate=30/1 ' +
      `! webrtcsink name=sink uri="${relay.wsUrl}?peer-id=cam1" ice-addresses=127.0.0.1 ` +
      'audiotestsrc is-live=true ! sink.');
  const browser = await launchChromium();
  try {
    const upstream = await openCompat(browser.context, 'compat-sink-upstream', relay);
    await guard(until(upstream, () => window.compat.producers.some((p) => p.id === 'cam1'),
        null, 20000, 'gstwebrtc-api to list webrtcsink'), producer);
    await upstream.evaluate(() => window.compat.consume('cam1'));
    const played = await guard(compatPlays(upstream), producer);
    // Half size while congestion control's estimate ramps, then full.
    assert.ok([320, 640].includes(played.width), `first decoded ${played.width} wide`);
    await guard(waitForVideoSize(upstream, '#remote', 640, 480), producer);
    assert.deepEqual(await upstream.evaluate(() => window.compat.errors), []);
    await screenshot(upstream, 'compat-upstream-plays-webrtcsink');
  } finally {
    await browser.close();
    await producer.stop('SIGINT');
    await relay.proc.stop();
  }
});
