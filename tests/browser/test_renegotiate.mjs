// Renegotiation inside a running session with Chromium (issue 17): the page
// plays webrtcsink's video; an audio input linked to webrtcsink while
// PLAYING reaches the page through a second offer on the same connection
// (same session id, same RTCPeerConnection, the video going on); released
// again, the page's audio transceiver goes inactive. The same with the
// upstream gstwebrtc-api consumer. The GStreamer side is renegotiate_peer.py
// (audio added and removed on command).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import {
  enterPrivateNetwork, missingRequirement, startRelay, launchChromium, openPage,
  until, waitForPlayback, guard, Proc, pluginDir, sourceRoot, webRoot, withTimeout,
} from './harness.mjs';

enterPrivateNetwork();

const skip = missingRequirement({ elements: true });
const peerScript = path.join(sourceRoot, 'tests', 'browser', 'renegotiate_peer.py');

function events(proc) {
  const out = [];
  for (const line of proc.output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line));
    } catch { /* cut by a chunk boundary: read next time */ }
  }
  return out;
}

function waitEvent(proc, pred, timeoutMs, what) {
  return guard(withTimeout(new Promise((resolve) => {
    const check = () => {
      const e = events(proc).find(pred);
      if (e) resolve(e);
      else setTimeout(check, 50);
    };
    check();
  }), timeoutMs, `${proc.name}: ${what} (see ${proc.logPath})`), proc);
}

// What the page's played session is now: ids, its connection, the decoded
// video frames, the audio packets and the audio transceiver's direction.
function played(page) {
  return page.evaluate(() => {
    const st = window.gwsState.play;
    const session = window.gwsControl.sessions()[0];
    const audio = session && session.pc ? session.pc.getTransceivers()
        .find((t) => t.receiver.track && t.receiver.track.kind === 'audio') : null;
    return {
      sessionId: st.sessionId,
      connectionId: st.restart ? st.restart.connectionId : 0,
      frames: st.stats && st.stats.video ? st.stats.video.frames : 0,
      audioPackets: st.stats && st.stats.audio ? st.stats.audio.packets : 0,
      audioDirection: audio ? audio.currentDirection : null,
    };
  });
}

test('an audio input added to and removed from a running webrtcsink reaches ' +
    'Chromium in the same session', { skip: skip || false, timeout: 120000 }, async (t) => {
  const relay = await startRelay('reneg-relay');
  const producerId = 'reneg-cam';
  const producer = new Proc('reneg-gst', '/usr/bin/python3',
      [peerScript, `${relay.wsUrl}?peer-id=${producerId}`],
      { env: { GST_PLUGIN_PATH: pluginDir }, stdin: 'pipe' });
  const browser = await launchChromium();
  try {
    await waitEvent(producer, (e) => e.event === 'ready', 15000, 'the pipeline to play');
    const page = await openPage(browser.context, 'reneg-page', relay.httpUrl);
    await until(page, () => window.gwsState.relayState === 'ready', null, 10000,
        'the page to register at the relay');
    const item = page.locator(`#producers li[data-peer-id="${producerId}"]`);
    await guard(item.waitFor({ timeout: 20000 }), producer);
    await item.click();
    await guard(waitForPlayback(page, 30000), producer);
    const before = await until(page, () => {
      const st = window.gwsState.play.stats;
      return st && st.video && st.video.frames > 10 ? true : null;
    }, null, 15000, 'video frames decoded').then(() => played(page));
    assert.ok(before.sessionId, 'the page has a session');
    assert.equal(before.audioDirection, null, 'no audio before');

    // Added: a second offer on the same connection.
    producer.child.stdin.write('add-audio\n');
    await waitEvent(producer, (e) => e.event === 'message' &&
        e.name === 'gws-renegotiation-started', 15000, 'webrtcsink to renegotiate');
    await until(page, () => {
      const st = window.gwsState.play.stats;
      return st && st.audio && st.audio.packets > 20 ? true : null;
    }, null, 20000, 'audio packets on the page');
    const added = await played(page);
    await until(page, (f) => window.gwsState.play.stats.video.frames > f + 20,
        added.frames, 15000, 'video frames going on after the audio was added');
    assert.equal(added.sessionId, before.sessionId, 'same session id');
    assert.equal(added.connectionId, before.connectionId, 'same RTCPeerConnection');
    assert.equal(added.audioDirection, 'recvonly');

    // Removed: its transceiver goes inactive, the video goes on.
    producer.child.stdin.write('remove-audio\n');
    await until(page, () => {
      const s = window.gwsControl.sessions()[0];
      const a = s.pc.getTransceivers()
          .find((tr) => tr.receiver.track && tr.receiver.track.kind === 'audio');
      return a && a.currentDirection === 'inactive' ? true : null;
    }, null, 20000, 'the audio transceiver to go inactive');
    const removed = await played(page);
    await until(page, (f) => window.gwsState.play.stats.video.frames > f + 20,
        removed.frames, 15000, 'video frames going on after the audio was removed');
    assert.equal(removed.sessionId, before.sessionId, 'same session id');
    assert.equal(removed.connectionId, before.connectionId, 'same RTCPeerConnection');
    const ev = events(producer);
    assert.equal(ev.filter((e) => e.event === 'consumer-added').length, 1,
        'one consumer session from start to end');
    assert.deepEqual(ev.filter((e) => e.event === 'consumer-removed'), []);
    assert.deepEqual(ev.filter((e) => e.event === 'message' &&
        e.name.startsWith('gws-restart')), [], 'no restart');
    t.diagnostic(`video frames: ${before.frames} -> ${removed.frames}; audio packets ` +
        `${added.audioPackets}`);
  } finally {
    await browser.close();
    await producer.stop('SIGINT');
    await relay.proc.stop();
  }
});

// The upstream client (gstwebrtc-api 3.0.0) applies every offer to its one
// RTCPeerConnection: it follows a renegotiation with no change of its own.
const bundle = path.join(sourceRoot, 'node_modules', 'gstwebrtc-api', 'dist',
    'gstwebrtc-api-3.0.0.esm.js');
const skipCompat = skip ||
    (fs.existsSync(bundle) ? null : 'gstwebrtc-api 3.0.0 is not installed (npm ci)');

// Polls `fn` (which may be async: page.waitForFunction would take its
// promise for a truthy answer) in the page until it returns a truthy value.
async function poll(page, fn, arg, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await page.evaluate(fn, arg);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('the upstream gstwebrtc-api consumer follows an audio input added to and ' +
    'removed from a running webrtcsink', { skip: skipCompat || false, timeout: 120000 },
async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gws-web-'));
  fs.cpSync(webRoot, root, { recursive: true });
  fs.cpSync(path.join(sourceRoot, 'tests', 'browser', 'compat'),
      path.join(root, 'compat'), { recursive: true });
  fs.copyFileSync(bundle, path.join(root, 'compat', 'gstwebrtc-api.js'));
  const relay = await startRelay('reneg-compat-relay', { root });
  const producerId = 'reneg-compat';
  const producer = new Proc('reneg-compat-gst', '/usr/bin/python3',
      [peerScript, `${relay.wsUrl}?peer-id=${producerId}`],
      { env: { GST_PLUGIN_PATH: pluginDir }, stdin: 'pipe' });
  const browser = await launchChromium();
  const inbound = (page) => page.evaluate(() => window.compat.inbound());
  try {
    await waitEvent(producer, (e) => e.event === 'ready', 15000, 'the pipeline to play');
    const page = await openPage(browser.context, 'reneg-compat-page', `${relay.httpUrl}compat/`);
    await until(page, () => window.compat && window.compat.connected, null, 10000,
        'gstwebrtc-api to count itself connected');
    await guard(until(page, (id) => window.compat.producers.some((p) => p.id === id),
        producerId, 20000, 'gstwebrtc-api to list webrtcsink'), producer);
    await page.evaluate((id) => window.compat.consume(id), producerId);
    await poll(page, async () => {
      const s = await window.compat.inbound();
      return s && s.videoFrames > 10 ? true : null;
    }, null, 20000, 'video frames decoded by gstwebrtc-api');

    producer.child.stdin.write('add-audio\n');
    await poll(page, async () => {
      const s = await window.compat.inbound();
      return s && s.audioPackets > 20 ? true : null;
    }, null, 20000, 'audio packets at the gstwebrtc-api consumer');
    const added = await inbound(page);
    assert.deepEqual(added.transceivers.map((x) => x.kind).sort(), ['audio', 'video']);

    producer.child.stdin.write('remove-audio\n');
    await poll(page, async () => {
      const s = await window.compat.inbound();
      return s && s.transceivers.some((x) => x.kind === 'audio' &&
          x.direction === 'inactive') ? true : null;
    }, null, 20000, 'the audio transceiver to go inactive');
    const removed = await inbound(page);
    await poll(page, async (f) => (await window.compat.inbound()).videoFrames > f + 20,
        removed.videoFrames, 15000, 'video frames going on after the removal');
    assert.deepEqual(await page.evaluate(() => window.compat.errors), []);
    const ev = events(producer);
    assert.equal(ev.filter((e) => e.event === 'consumer-added').length, 1,
        'one consumer session from start to end');
    assert.deepEqual(ev.filter((e) => e.event === 'consumer-removed'), []);
    assert.deepEqual(ev.filter((e) => e.event === 'message' &&
        e.name.startsWith('gws-restart')), [], 'no restart');
    t.diagnostic(`gstwebrtc-api: ${added.audioPackets} audio packets, ` +
        `${removed.videoFrames} video frames`);
  } finally {
    await browser.close();
    await producer.stop('SIGINT');
    await relay.proc.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
});
