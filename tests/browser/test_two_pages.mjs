// Two Chromium pages meet through the relay: one publishes its (fake) camera
// and microphone, the other sees it appear in the list, plays it, and decodes
// frames. No GStreamer element is involved: this proves the web client and
// the relay on their own.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  enterPrivateNetwork, missingRequirement, startRelay, launchChromium,
  openPage, screenshot, until, gwsState, waitForPlayback, assertCameraSize,
} from './harness.mjs';

enterPrivateNetwork();

const skip = missingRequirement();

test('a browser page plays another browser page\'s camera through the relay',
    { skip: skip || false, timeout: 90000 }, async () => {
  const relay = await startRelay('two-pages-relay');
  const browser = await launchChromium();
  try {
    const publisher = await openPage(browser.context, 'two-pages-publisher', relay.httpUrl);
    const viewer = await openPage(browser.context, 'two-pages-viewer', relay.httpUrl);
    for (const page of [publisher, viewer]) {
      await until(page, () => window.gwsState.relayState === 'ready', null, 10000,
          'the page to register at the relay');
    }
    assert.equal(await viewer.locator('#no-producers').isVisible(), true,
        'an empty relay shows "no producer"');

    await publisher.fill('#publish-name', 'Fake camera');
    await publisher.click('#publish');
    await until(publisher, () => window.gwsState.publish.state === 'publishing', null, 10000,
        'the publisher to publish');

    // The viewer learns of the new producer live (peerStatusChanged).
    const item = viewer.locator('#producers li[data-name="Fake camera"]');
    await item.waitFor({ timeout: 10000 });
    const publisherId = (await gwsState(publisher)).peerId;
    assert.equal(await item.getAttribute('data-peer-id'), publisherId);
    await item.click();

    const played = await waitForPlayback(viewer);
    assertCameraSize(played);

    // Audio flows too, stats show a loopback path, RTT and a bitrate.
    const stats = await until(viewer, () => {
      const s = window.gwsState.play.stats;
      return s && s.audio && s.audio.packets > 0 && s.rttMs !== null &&
          s.bitrateKbps > 0 ? s : null;
    }, null, 15000, 'audio packets, an RTT and a bitrate in the stats');
    assert.match(stats.candidatePair.local, /^127\.0\.0\.1:/);
    assert.equal(stats.video.codec !== null, true);
    await until(viewer, () => /^\d+x\d+$/.test(document.querySelector(
        '#player-stats [data-stat="resolution"]').textContent), null, 5000,
    'the resolution in the stats table');

    // The publisher lists its viewer, connected, sending video.
    await until(publisher, () => {
      const s = window.gwsState.publish.sessions;
      return s.length === 1 && s[0].state === 'connected' && s[0].stats &&
          s[0].stats.video && s[0].stats.video.frames > 0;
    }, null, 10000, 'the publisher to show one connected viewer');
    const viewerId = (await gwsState(viewer)).peerId;
    assert.equal((await gwsState(publisher)).publish.sessions[0].consumerId, viewerId);

    await screenshot(viewer, 'two-pages-viewer');
    await screenshot(publisher, 'two-pages-publisher');

    // Stop publishing: the viewer says so and goes back to the list.
    await publisher.click('#unpublish');
    await until(viewer, () => window.gwsState.play.state === 'idle' &&
        window.gwsState.producers.length === 0, null, 10000,
        'the viewer to stop playing when the producer leaves');
    const notice = await viewer.locator('#notice').textContent();
    assert.match(notice, /Fake camera/);
    assert.equal(await viewer.locator('#player-panel').isVisible(), false);
    await screenshot(viewer, 'two-pages-viewer-after-unpublish');
  } finally {
    await browser.close();
    await relay.proc.stop();
  }
});
