// Data channels and remote control between Chromium and webrtcsink: the
// upstream gstwebrtc-api 3.0.0 client (its published bundle) consumes a
// webrtcsink producer (tests/e2e/peer.py, which reports what reaches the
// element as JSON lines). Text and 64 KiB binary messages cross a `chat`
// channel both ways; the client's RemoteController, driven by real mouse
// and keyboard input on its <video>, sends navigation events that arrive
// upstream of webrtcsink as GstNavigation events (a pad probe on the video
// source), custom upstream events arrive as such, and every request gets
// its ControlResponseMessage (an error for a bad one). Our page does the
// same with its remote-control mode, and exchanges messages with webrtcsrc,
// also across a session restart.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, after } from 'node:test';
import {
  enterPrivateNetwork, missingRequirement, startRelay, launchChromium,
  openPage, screenshot, until, guard, sourceRoot, webRoot, pluginDir, Proc,
} from './harness.mjs';

enterPrivateNetwork();

const bundle = path.join(sourceRoot, 'node_modules', 'gstwebrtc-api', 'dist',
    'gstwebrtc-api-3.0.0.esm.js');
const peerPy = path.join(sourceRoot, 'tests', 'e2e', 'peer.py');
const skip = missingRequirement({ elements: true }) ||
    (fs.existsSync(bundle) ? null : 'gstwebrtc-api 3.0.0 is not installed (npm ci)');

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gws-web-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
if (!skip) {
  fs.cpSync(webRoot, root, { recursive: true });
  fs.cpSync(path.join(sourceRoot, 'tests', 'browser', 'compat'),
      path.join(root, 'compat'), { recursive: true });
  fs.copyFileSync(bundle, path.join(root, 'compat', 'gstwebrtc-api.js'));
}

// The JSON events peer.py printed so far.
function events(proc) {
  return proc.output.split('\n').filter((l) => l.startsWith('{')).map((l) => {
    try { return JSON.parse(l); } catch { return null; }
  }).filter(Boolean);
}

// The first event satisfying `pred` (already printed or still to come).
function waitEvent(proc, pred, timeoutMs, what) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      clearInterval(poll);
      reject(new Error(`${proc.name}: no ${what} within ${timeoutMs} ms; see ${proc.logPath}`));
    }, timeoutMs);
    const poll = setInterval(() => {
      const ev = events(proc).find(pred);
      if (ev || !proc.running) {
        clearInterval(poll);
        clearTimeout(timer);
        if (ev) resolve(ev);
        else reject(new Error(`${proc.name} exited before ${what}; see ${proc.logPath}`));
      }
    }, 50);
  });
}

function pattern(size) {
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = (i * 7 + 3) % 251;
  return out;
}

test('gstwebrtc-api in Chromium: data channels with webrtcsink and its RemoteController',
    { skip: skip || false, timeout: 180000 }, async () => {
  const relay = await startRelay('dc-relay', { root });
  const producer = new Proc('dc-producer', '/usr/bin/python3',
      [peerPy, 'producer', '--uri', `${relay.wsUrl}?peer-id=cam1`, '--video', 'raw',
        '--data-channels', '<"chat">', '--nav-probe'],
      { env: { GST_PLUGIN_PATH: pluginDir }, stdin: 'pipe' });
  const command = (line) => producer.child.stdin.write(`${line}\n`);
  const browser = await launchChromium();
  try {
    await guard(waitEvent(producer, (e) => e.event === 'signalling' && e.connected,
        20000, 'signalling'), producer);
    const page = await openPage(browser.context, 'dc-upstream', `${relay.httpUrl}compat/`);
    await until(page, () => window.compat && window.compat.connected, null, 10000,
        'gstwebrtc-api to connect');
    await until(page, () => window.compat.producers.some((p) => p.id === 'cam1'),
        null, 20000, 'gstwebrtc-api to list webrtcsink');
    await page.evaluate(() => window.compat.consume('cam1'));
    await guard(until(page, () => {
      const v = document.getElementById('remote');
      return v.videoWidth > 0 && v.getVideoPlaybackQuality().totalVideoFrames > 0;
    }, null, 20000, 'decoded video'), producer);
    await until(page, () => ['chat', 'control'].every((l) =>
      window.compat.channels[l] && window.compat.channels[l].state === 'open'),
    null, 10000, 'the chat and control channels to open in the page');
    await waitEvent(producer, (e) => e.event === 'channel' && e.label === 'chat' && e.open,
        10000, 'chat open');

    // webrtcsink -> page: text, then 64 KiB of bytes.
    command('send-text chat hello browser');
    await until(page, () => window.compat.channels.chat.messages
        .some((m) => m.text === 'hello browser'), null, 10000, 'the text in the page');
    command('send-bytes chat 65536');
    const sent = await waitEvent(producer, (e) => e.event === 'sent-bytes', 10000, 'sent-bytes');
    const got = await until(page, () => window.compat.channels.chat.messages
        .find((m) => m.size !== undefined), null, 10000, '64 KiB in the page');
    assert.deepEqual(got, { size: 65536, sha256: sent.sha256 });

    // page -> webrtcsink: text, then 64 KiB of bytes.
    await page.evaluate(() => window.compat.sendOn('chat', 'hello webrtcsink'));
    const text = await waitEvent(producer, (e) => e.event === 'data' && e.text,
        10000, 'the page\'s text');
    assert.equal(text.body, 'hello webrtcsink');
    assert.equal(text.label, 'chat');
    await page.evaluate(() => window.compat.sendOn('chat', { bytes: 65536 }));
    const bin = await waitEvent(producer, (e) => e.event === 'data' && !e.text,
        10000, 'the page\'s 64 KiB');
    assert.equal(bin.size, 65536);
    assert.equal(bin.sha256, crypto.createHash('sha256').update(pattern(65536)).digest('hex'));

    // The RemoteController: real input on the <video>.
    await until(page, () => window.compat.remote, null, 10000,
        'the RemoteController (the producer\'s control channel)');
    const box = await page.locator('#remote').boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const move = await waitEvent(producer, (e) => e.event === 'upstream-event' &&
        e.structure.includes('mouse-move'), 10000, 'a mouse-move upstream');
    // The middle of a 320x240 picture, whatever the element's size.
    const x = Number(/pointer_x=\(double\)([\d.e+-]+)/.exec(move.structure)[1]);
    const y = Number(/pointer_y=\(double\)([\d.e+-]+)/.exec(move.structure)[1]);
    assert.ok(Math.abs(x - 160) <= 2 && Math.abs(y - 120) <= 2, move.structure);
    await page.mouse.down();
    await waitEvent(producer, (e) => e.event === 'upstream-event' &&
        e.structure.includes('mouse-button-press') && e.structure.includes('button=(int)1'),
    10000, 'a mouse-button-press upstream');
    await page.mouse.up();
    await page.keyboard.press('a');
    await waitEvent(producer, (e) => e.event === 'upstream-event' &&
        e.structure.includes('key-press') && e.structure.includes('key=(string)a'),
    10000, 'a key-press "a" upstream');

    // A custom upstream event, and a request the producer cannot serve.
    const customId = await page.evaluate(() => window.compat.sendControlRequest({
      type: 'customUpstreamEvent', structureName: 'zoom-request', structure: { level: 3 },
    }));
    const custom = await waitEvent(producer, (e) => e.event === 'upstream-event' &&
        e.type === 'custom', 10000, 'the custom upstream event');
    assert.match(custom.structure, /^zoom-request/);
    assert.match(custom.structure, /level=\(int\)3/);
    const badId = await page.evaluate(() =>
      window.compat.sendControlRequest({ type: 'teleport' }));
    // Requests naming a stream by mid (sent raw on the same channel): the
    // video's m-line, and one that does not exist.
    const mid = await page.evaluate(() => window.compat.firstMid());
    await page.evaluate((m) => {
      const send = (id, midValue, name) => window.compat.sendOn('control', JSON.stringify(
          { id, mid: midValue, request: { type: 'customUpstreamEvent', structureName: name } }));
      send(500, m, 'for-the-video');
      send(501, 'no-such-mid', 'lost');
    }, mid);
    await waitEvent(producer, (e) => e.event === 'upstream-event' && e.type === 'custom' &&
        e.structure.startsWith('for-the-video'), 10000, 'the event for mid ' + mid);
    const responses = await until(page, (ids) => {
      const r = window.compat.controlResponses;
      return ids.every((id) => r.some((m) => m.id === id)) ? r : null;
    }, [customId, badId, 500, 501], 10000, 'answers to the custom, mid and bad requests');
    assert.equal(responses.find((m) => m.id === 500).error, undefined);
    assert.match(responses.find((m) => m.id === 501).error, /no stream has mid no-such-mid/);
    assert.ok(!events(producer).some((e) => e.event === 'upstream-event' &&
        e.structure.startsWith('lost')), 'an event for an unknown mid went upstream');
    assert.equal(responses.find((m) => m.id === customId).error, undefined);
    assert.match(responses.find((m) => m.id === badId).error, /teleport/);
    // Every navigation request was answered, without error.
    const navAnswers = responses.filter((m) => ![badId, customId, 500, 501].includes(m.id));
    assert.ok(navAnswers.length >= 4, JSON.stringify(responses));
    assert.deepEqual(navAnswers.filter((m) => m.error), []);
    assert.deepEqual(await page.evaluate(() => window.compat.errors), []);
    await screenshot(page, 'data-channels-upstream');
  } finally {
    await browser.close();
    await producer.stop('SIGTERM');
    await relay.proc.stop();
  }
});

test('our page: remote control of webrtcsink, and data channels with webrtcsrc',
    { skip: skip || false, timeout: 180000 }, async () => {
  const relay = await startRelay('dc-ours-relay');
  const producer = new Proc('dc-ours-producer', '/usr/bin/python3',
      [peerPy, 'producer', '--uri', `${relay.wsUrl}?peer-id=cam1`, '--video', 'raw',
        '--nav-probe'],
      { env: { GST_PLUGIN_PATH: pluginDir }, stdin: 'pipe' });
  const browser = await launchChromium();
  let consumer = null;
  try {
    await guard(waitEvent(producer, (e) => e.event === 'signalling' && e.connected,
        20000, 'signalling'), producer);
    const page = await openPage(browser.context, 'dc-ours',
        `${relay.httpUrl}?peer-id=browser1&data-channels=chat&remote-control=1`);
    await until(page, () => window.gwsState.relayState === 'ready', null, 10000,
        'our page to register');

    // Remote control: the page plays webrtcsink and drives it.
    await page.locator('#producers li[data-peer-id="cam1"]').click();
    await guard(until(page, () => window.gwsState.play.video &&
        window.gwsState.play.video.width > 0, null, 20000, 'playback'), producer);
    await until(page, () => window.gwsState.play.remote.enabled, null, 10000,
        'remote control to be on (the producer offered its control channel)');
    assert.equal(await page.locator('#remote-control').isChecked(), true);
    const box = await page.locator('#remote-video').boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const move = await waitEvent(producer, (e) => e.event === 'upstream-event' &&
        e.structure.includes('mouse-move'), 10000, 'a mouse-move upstream');
    const x = Number(/pointer_x=\(double\)([\d.e+-]+)/.exec(move.structure)[1]);
    const y = Number(/pointer_y=\(double\)([\d.e+-]+)/.exec(move.structure)[1]);
    assert.ok(Math.abs(x - 160) <= 2 && Math.abs(y - 120) <= 2, move.structure);
    await page.mouse.click(box.x + 10, box.y + 10);
    await page.keyboard.press('Enter');
    await waitEvent(producer, (e) => e.event === 'upstream-event' &&
        e.structure.includes('key-press') && e.structure.includes('key=(string)Return'),
    10000, 'a key-press Return upstream');
    const remote = await until(page, () => {
      const r = window.gwsState.play.remote;
      return r.answered >= 4 && r.answered === r.sent ? r : null;
    }, null, 10000, 'every request answered');
    assert.deepEqual(remote.errors, []);
    // Unchecked: input stays in the page.
    await page.locator('#remote-control').uncheck();
    const sentBefore = await page.evaluate(() => window.gwsState.play.remote.sent);
    await page.mouse.move(box.x + 20, box.y + 20);
    await page.keyboard.press('a');
    assert.equal(await page.evaluate(() => window.gwsState.play.remote.sent), sentBefore);
    await page.click('#stop-playing');

    // Data channels: webrtcsrc plays the page's camera; the page opens chat.
    await page.click('#publish');
    await until(page, () => window.gwsState.publish.state === 'publishing', null, 10000,
        'our page to publish');
    consumer = new Proc('dc-ours-consumer', '/usr/bin/python3',
        [peerPy, 'consumer', '--uri', `${relay.wsUrl}?peer-id=browser1`, '--link', 'video'],
        { env: { GST_PLUGIN_PATH: pluginDir }, stdin: 'pipe' });
    await guard(waitEvent(consumer, (e) => e.event === 'channel' && e.label === 'chat' &&
        e.open, 20000, 'chat open in webrtcsrc'), consumer);
    await until(page, () => window.gwsState.data.open.some((o) => o.label === 'chat'),
        null, 10000, 'chat open in the page');
    consumer.child.stdin.write('send-text chat hello page\n');
    await until(page, () => window.gwsState.data.received.some((m) => m.text === 'hello page'),
        null, 10000, 'webrtcsrc\'s text in the page');
    consumer.child.stdin.write('send-bytes chat 65536\n');
    const sent = await waitEvent(consumer, (e) => e.event === 'sent-bytes', 10000, 'sent-bytes');
    const got = await until(page, () => window.gwsState.data.received
        .find((m) => m.size !== undefined), null, 10000, '64 KiB in the page');
    assert.equal(got.size, 65536);
    assert.equal(got.sha256, sent.sha256);
    await page.evaluate(() => window.gwsControl.sendData(null, 'chat', 'hello webrtcsrc'));
    const text = await waitEvent(consumer, (e) => e.event === 'data' && e.text, 10000,
        'the page\'s text in webrtcsrc');
    assert.equal(text.body, 'hello webrtcsrc');
    const sha = await page.evaluate(() => window.gwsControl.sendData(null, 'chat', { bytes: 65536 }));
    const bin = await waitEvent(consumer, (e) => e.event === 'data' && !e.text, 10000,
        'the page\'s 64 KiB in webrtcsrc');
    assert.equal(bin.size, 65536);
    assert.equal(bin.sha256, sha);

    // The page restarts the session (a new peer connection, webrtcsrc
    // answers) with 20 messages queued at once: chat opens on the new
    // connection and each message arrives once, in order; then both ways.
    const sid = await page.evaluate(() =>
      window.gwsControl.sessions().find((s) => s.role === 'producer').sessionId);
    const queued = await page.evaluate((id) => {
      if (!window.gwsControl.restart(id)) return -1;
      for (let i = 0; i < 20; i++) window.gwsControl.sendData(id, 'chat', `r${i}`);
      return window.gwsControl.sessions().find((s) => s.sessionId === id).channels.queued;
    }, sid);
    assert.equal(queued, 20, 'the messages wait for the new connection');
    await waitEvent(consumer, (e) => e.event === 'channel' && e.label === 'chat' && e.open &&
        e.connection >= 1, 20000, 'chat open on the new connection');
    await waitEvent(consumer, (e) => e.event === 'data' && e.body === 'r19', 20000,
        'the last queued message');
    const rs = events(consumer).filter((e) => e.event === 'data' && /^r\d+$/.test(e.body || ''))
        .map((e) => e.body);
    assert.deepEqual(rs, Array.from({ length: 20 }, (_, i) => `r${i}`));
    await until(page, (id) => window.gwsControl.sessions()
        .find((s) => s.sessionId === id).restartInfo().restarts === 1, sid, 20000,
    'the page to switch to the new connection');
    consumer.child.stdin.write('send-text chat after the restart\n');
    await until(page, () => window.gwsState.data.received
        .some((m) => m.text === 'after the restart'), null, 10000,
    'webrtcsrc\'s message after the restart');
    await screenshot(page, 'data-channels-ours');
  } finally {
    await browser.close();
    if (consumer) await consumer.stop('SIGTERM');
    await producer.stop('SIGTERM');
    await relay.proc.stop();
  }
});
