// Session restart (issue 7) between two Chromium pages through the real
// relay: one page publishes its fake camera, the other plays it; then the
// session's peer connection is replaced by a new one inside the same session
// (a new offer sent as `peer`), switched to once it carries media, while the
// video keeps playing. Frame delivery is measured on the <video> element with
// requestVideoFrameCallback, not guessed from stats alone.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  enterPrivateNetwork, missingRequirement, startRelay, launchChromium,
  openPage, screenshot, until, gwsState, waitForPlayback,
} from './harness.mjs';

enterPrivateNetwork();

const skip = missingRequirement();

// A relay, a browser, a publishing page and a viewing page that plays it.
async function playing(name, { viewerQuery = '', publisherQuery = '' } = {}) {
  const relay = await startRelay(`${name}-relay`);
  const browser = await launchChromium();
  const close = async () => {
    await browser.close();
    await relay.proc.stop();
  };
  try {
    const publisher = await openPage(browser.context, `${name}-publisher`,
        relay.httpUrl + publisherQuery);
    const viewer = await openPage(browser.context, `${name}-viewer`, relay.httpUrl + viewerQuery);
    for (const page of [publisher, viewer]) {
      await until(page, () => window.gwsState.relayState === 'ready', null, 10000,
          'the page to register at the relay');
    }
    await publisher.fill('#publish-name', 'Restart camera');
    await publisher.click('#publish');
    await until(publisher, () => window.gwsState.publish.state === 'publishing', null, 10000,
        'the publisher to publish');
    const item = viewer.locator('#producers li[data-name="Restart camera"]');
    await item.waitFor({ timeout: 10000 });
    await item.click();
    await waitForPlayback(viewer, 30000);
    await until(publisher, () => {
      const s = window.gwsState.publish.sessions;
      return s.length === 1 && s[0].state === 'connected';
    }, null, 15000, 'the publisher to show its connected viewer');
    await installFrameMeter(viewer);
    await until(viewer, () => window.__meter.count > 15, null, 15000,
        'the video element to present frames');
    return { relay, browser, publisher, viewer, close };
  } catch (e) {
    await close();
    throw e;
  }
}

// Counts the frames the remote <video> presents and the longest gap between
// two of them (requestVideoFrameCallback), across srcObject changes.
async function installFrameMeter(page) {
  await page.evaluate(() => {
    const video = document.getElementById('remote-video');
    const meter = { count: 0, last: null, maxGap: 0, gen: 0 };
    meter.reset = () => {
      meter.maxGap = 0;
      meter.count = 0;
    };
    const arm = () => {
      const gen = ++meter.gen;
      const onFrame = () => {
        if (gen !== meter.gen) return;
        const now = performance.now();
        if (meter.last !== null) meter.maxGap = Math.max(meter.maxGap, now - meter.last);
        meter.last = now;
        meter.count++;
        video.requestVideoFrameCallback(onFrame);
      };
      video.requestVideoFrameCallback(onFrame);
    };
    // A new source may drop pending callbacks: arm again (the generation
    // counter keeps one chain alive).
    for (const type of ['loadstart', 'loadedmetadata', 'playing']) {
      video.addEventListener(type, arm);
    }
    window.__meter = meter;
    arm();
  });
}

function meter(page) {
  return page.evaluate(() => ({ count: window.__meter.count, maxGap: window.__meter.maxGap,
    sinceLast: window.__meter.last === null ? null : performance.now() - window.__meter.last }));
}

function viewerInfo(page) {
  return page.evaluate(() => {
    const s = window.gwsState.play;
    return { sessionId: s.sessionId, state: s.state, restart: s.restart,
      frames: s.stats && s.stats.video ? s.stats.video.frames : 0 };
  });
}

function publisherInfo(page) {
  return page.evaluate(() => {
    const s = window.gwsState.publish.sessions;
    return s.length === 1 ? { sessionId: s[0].sessionId, state: s[0].state,
      restart: s[0].restart } : { count: s.length };
  });
}

// Both sides done with restart number `n`: switched, the old connection
// closed (one RTCPeerConnection open on each side).
async function waitRestarted(viewer, publisher, n) {
  await until(viewer, (k) => {
    const r = window.gwsState.play.restart;
    return r && r.restarts >= k && !r.restarting && r.openConnections === 1 &&
        window.gwsState.play.state === 'connected';
  }, n, 30000, `the viewer to switch to the new connection (restart ${n})`);
  await until(publisher, (k) => {
    const s = window.gwsState.publish.sessions;
    return s.length === 1 && s[0].restart.restarts >= k && !s[0].restart.restarting &&
        s[0].restart.openConnections === 1 && s[0].state === 'connected';
  }, n, 30000, `the publisher to switch to the new connection (restart ${n})`);
}

// After a restart: the same session on both sides, a new connection that
// both sides share, decoded frames rising on it and the video element still
// presenting frames, with no long gap.
async function assertRestarted(t, { viewer, publisher }, before, n) {
  const v = await viewerInfo(viewer);
  const p = await publisherInfo(publisher);
  assert.equal(v.sessionId, before.v.sessionId, 'the viewer\'s session id is unchanged');
  assert.equal(p.sessionId, before.p.sessionId, 'the publisher\'s session id is unchanged');
  assert.equal(v.sessionId, p.sessionId);
  assert.equal(v.restart.restarts, n);
  assert.equal(p.restart.restarts, n);
  assert.ok(v.restart.connectionId > before.v.restart.connectionId,
      `the viewer uses a new peer connection (#${before.v.restart.connectionId} -> ` +
      `#${v.restart.connectionId})`);
  assert.ok(p.restart.connectionId > before.p.restart.connectionId,
      'the publisher uses a new peer connection');
  assert.notEqual(v.restart.localUfrag, before.v.restart.localUfrag, 'new ICE credentials');
  assert.notEqual(p.restart.localUfrag, before.p.restart.localUfrag, 'new ICE credentials');
  // One connection: each side's remote ICE ufrag is the other's local one.
  assert.equal(v.restart.remoteUfrag, p.restart.localUfrag, 'both sides on the same connection');
  assert.equal(p.restart.remoteUfrag, v.restart.localUfrag, 'both sides on the same connection');
  assert.equal(v.restart.pathState, 'ok');

  // Frames keep coming on the new connection and on screen.
  const m0 = await meter(viewer);
  const f1 = await until(viewer, (id) => {
    const s = window.gwsState.play.stats;
    return s && s.connectionId === id && s.video && s.video.frames > 20 ? s.video.frames : null;
  }, v.restart.connectionId, 15000, 'frames decoded on the new connection');
  await until(viewer, (c) => window.__meter.count > c + 30, m0.count, 15000,
      'the video element to keep presenting frames');
  const m1 = await meter(viewer);
  t.diagnostic(`viewer: ${f1} frames decoded on connection #${v.restart.connectionId}, ` +
      `switch after ${v.restart.lastSwitchMs} ms (publisher ${p.restart.lastSwitchMs} ms), ` +
      `longest gap between presented frames ${m1.maxGap.toFixed(0)} ms`);
  assert.ok(m1.maxGap < 1000, `the video kept playing: longest gap between frames ` +
      `${m1.maxGap.toFixed(0)} ms (< 1000 ms)`);
  const table = await viewer.locator('#player-stats [data-stat="restarts"]').textContent();
  assert.match(table, new RegExp(`^${n} · connection #${v.restart.connectionId} · ok`),
      'the stats panel shows the restart count and state');
  return { v, p };
}

async function snapshot(viewer, publisher) {
  const v = await viewerInfo(viewer);
  const p = await publisherInfo(publisher);
  assert.ok(v.restart && p.restart, 'both sides report restart state');
  assert.equal(v.restart.restarts, 0);
  assert.equal(v.restart.openConnections, 1);
  return { v, p };
}

test('the viewer restarts the session: a new peer connection, same session, video keeps playing',
    { skip: skip || false, timeout: 150000 }, async (t) => {
  const s = await playing('restart-viewer');
  try {
    const { viewer, publisher } = s;
    const before = await snapshot(viewer, publisher);
    await viewer.evaluate(() => window.__meter.reset());
    await viewer.click('#restart-playing');
    await waitRestarted(viewer, publisher, 1);
    const after = await assertRestarted(t, s, before, 1);
    assert.equal(after.v.restart.connectionOrigin, 'local', 'the viewer offered it');
    assert.equal(after.p.restart.connectionOrigin, 'remote');
    await screenshot(viewer, 'restart-viewer-viewer');
    await screenshot(publisher, 'restart-viewer-publisher');
  } finally {
    await s.close();
  }
});

test('the publisher restarts the session: a new peer connection, same session, video keeps playing',
    { skip: skip || false, timeout: 150000 }, async (t) => {
  const s = await playing('restart-publisher');
  try {
    const { viewer, publisher } = s;
    const before = await snapshot(viewer, publisher);
    await viewer.evaluate(() => window.__meter.reset());
    await publisher.click('#viewers li button.restart');
    await waitRestarted(viewer, publisher, 1);
    const after = await assertRestarted(t, s, before, 1);
    assert.equal(after.p.restart.connectionOrigin, 'local', 'the publisher offered it');
    assert.equal(after.v.restart.connectionOrigin, 'remote');
    // And once more, the other way round, in the same session.
    await viewer.evaluate(() => window.__meter.reset());
    const again = await viewer.evaluate((id) => window.gwsControl.restart(id), before.v.sessionId);
    assert.equal(again, true, 'a second restart starts');
    await waitRestarted(viewer, publisher, 2);
    await assertRestarted(t, s, after, 2);
    await screenshot(publisher, 'restart-publisher-publisher');
  } finally {
    await s.close();
  }
});

test('glare: both sides restart at once, the publisher\'s offer wins, one new connection survives',
    { skip: skip || false, timeout: 150000 }, async (t) => {
  const s = await playing('restart-glare');
  try {
    const { viewer, publisher } = s;
    let before = await snapshot(viewer, publisher);
    const sessionId = before.v.sessionId;
    // Both pages restart when the (shared) clock reaches the same instant.
    // Whether the offers cross on the wire or one side is still making its
    // offer when the other's arrives, each side has a restart in progress
    // when it learns of the other's: that is glare. Try again if one side
    // was so late that it saw the other's restart first (restart() = false).
    let n = 0;
    let glare = false;
    for (let attempt = 0; attempt < 3 && !glare; attempt++) {
      if (attempt > 0) before = { v: await viewerInfo(viewer), p: await publisherInfo(publisher) };
      await viewer.evaluate(() => window.__meter.reset());
      const at = Date.now() + 400;
      const started = await Promise.all([viewer, publisher].map((page) =>
        page.evaluate(({ id, at }) => window.gwsControl.restartAt(id, at), { id: sessionId, at })));
      n++;
      await waitRestarted(viewer, publisher, n);
      const v = await viewerInfo(viewer);
      const p = await publisherInfo(publisher);
      glare = started[0] && started[1] && v.restart.glare + p.restart.glare > 0;
      t.diagnostic(`attempt ${attempt + 1}: restart() returned viewer ${started[0]}, ` +
          `publisher ${started[1]}; glare seen by viewer ${v.restart.glare}, ` +
          `publisher ${p.restart.glare}`);
      const after = await assertRestarted(t, s, before, n);
      if (glare) {
        assert.equal(after.p.restart.connectionOrigin, 'local',
            'the surviving connection is the publisher\'s offer');
        assert.equal(after.v.restart.connectionOrigin, 'remote',
            'the viewer answered the publisher\'s offer');
        assert.equal(after.v.restart.restartFailures, 0);
        assert.equal(after.p.restart.restartFailures, 0);
      }
    }
    assert.ok(glare, 'the two restarts collided in at least one of 3 tries');
    // Exactly one connection on each side, and no stray restart follows.
    await new Promise((r) => setTimeout(r, 2500));
    const v = await viewerInfo(viewer);
    const p = await publisherInfo(publisher);
    assert.equal(v.restart.restarts, n, 'no further restart on the viewer');
    assert.equal(p.restart.restarts, n, 'no further restart on the publisher');
    assert.equal(v.restart.openConnections, 1);
    assert.equal(p.restart.openConnections, 1);
    assert.equal(v.restart.remoteUfrag, p.restart.localUfrag);
    await screenshot(viewer, 'restart-glare-viewer');
  } finally {
    await s.close();
  }
});

// The publisher stops sending on its current connection (its senders lose
// their tracks, so no RTP leaves it) while the connection itself stays up:
// to the viewer that is a dead path.
function silencePublisher(publisher, { refuseOffers = false } = {}) {
  return publisher.evaluate(async (refuse) => {
    const session = window.gwsControl.sessions()[0];
    await Promise.all(session.pc.getSenders().map((s) => s.replaceTrack(null)));
    if (refuse) {
      // Restart offers go unanswered: every attempt fails.
      const handle = session.handleSdp.bind(session);
      session.handleSdp = async (sdp) => (sdp.type === 'offer' ? undefined : handle(sdp));
    }
  }, refuseOffers);
}

test('a dead path is detected (no RTP for 1 s) and the viewer restarts by itself',
    { skip: skip || false, timeout: 150000 }, async (t) => {
  const s = await playing('restart-deadpath');
  try {
    const { viewer, publisher } = s;
    const before = await snapshot(viewer, publisher);
    await silencePublisher(publisher);
    // No more frames on the old connection...
    await until(viewer, () => {
      const r = window.gwsState.play.restart;
      return r && (r.pathState !== 'ok' || r.restarts > 0);
    }, null, 10000, 'the viewer to notice the silence');
    // ...so the viewer restarts, and the new connection carries the camera.
    await waitRestarted(viewer, publisher, 1);
    const v = await viewerInfo(viewer);
    assert.equal(v.restart.lastRestartReason, 'path-lost');
    assert.equal(v.restart.connectionOrigin, 'local', 'the viewer offered the new connection');
    assert.equal(v.sessionId, before.v.sessionId, 'same session');
    assert.ok(v.restart.connectionId > before.v.restart.connectionId);
    const m0 = await meter(viewer);
    await until(viewer, (id) => {
      const st = window.gwsState.play.stats;
      return st && st.connectionId === id && st.video && st.video.frames > 20;
    }, v.restart.connectionId, 15000, 'frames decoded on the new connection');
    await until(viewer, (c) => window.__meter.count > c + 30, m0.count, 15000,
        'the video element to present frames again');
    t.diagnostic(`restart after the silence: switched ${v.restart.lastSwitchMs} ms after ` +
        'the attempt started');
    assert.equal((await viewerInfo(viewer)).restart.restarts, 1, 'one restart was enough');
    await screenshot(viewer, 'restart-deadpath-viewer');
  } finally {
    await s.close();
  }
});

test('a restart that never gets media is tried 3 times, then the session ends with an error',
    { skip: skip || false, timeout: 150000 }, async (t) => {
  const s = await playing('restart-giveup');
  try {
    const { viewer, publisher } = s;
    await snapshot(viewer, publisher);
    await silencePublisher(publisher, { refuseOffers: true });
    const started = Date.now();
    await until(viewer, () => window.gwsState.play.state === 'idle' &&
        window.gwsState.play.endedReason === 'failed', null, 60000,
    'the viewer to give up and end the session');
    const notice = await viewer.locator('#notice').textContent();
    t.diagnostic(`gave up after ${((Date.now() - started) / 1000).toFixed(1)} s: ${notice}`);
    assert.match(notice, /could not be restarted \(3 failed attempts/);
    assert.equal(await viewer.locator('#notice').isVisible(), true, 'the error is shown');
    // The viewer ended the session at the relay: the publisher drops it.
    await until(publisher, () => window.gwsState.publish.sessions.length === 0, null, 10000,
        'the publisher to drop the ended session');
    await screenshot(viewer, 'restart-giveup-viewer');
  } finally {
    await s.close();
  }
});
