// Chromium plays webrtcsink's test pattern through the web client: the page
// lists the producer under its meta name, plays it on click, and decodes
// frames of the published size, for each video codec webrtcsink offers the
// browser.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  enterPrivateNetwork, missingRequirement, startRelay, gstLaunch, launchChromium,
  openPage, screenshot, until, waitForPlayback, waitForVideoSize, guard,
} from './harness.mjs';

enterPrivateNetwork();

const skip = missingRequirement({ elements: true });

for (const codec of ['VP8', 'H264']) {
  test(`Chromium plays webrtcsink's ${codec} test pattern at 640x480`,
      { skip: skip || false, timeout: 90000 }, async () => {
    const tag = codec.toLowerCase();
    const relay = await startRelay(`webrtcsink-${tag}-relay`);
    const producerId = `pattern-${tag}`;
    const producer = gstLaunch(`webrtcsink-${tag}-gst`,
        'videotestsrc is-live=true pattern=smpte ' +
        '! video/x-raw,width=640,height=480,framerate=30/1 ' +
        `! webrtcsink name=sink uri="${relay.wsUrl}?peer-id=${producerId}" ` +
        `ice-addresses=127.0.0.1 video-codecs="<${codec}>" ` +
        `signaller::meta="meta,name=(string)Pattern-${codec}" ` +
        'audiotestsrc is-live=true wave=ticks ! sink.');
    const browser = await launchChromium();
    try {
      const page = await openPage(browser.context, `webrtcsink-${tag}-page`, relay.httpUrl);
      await until(page, () => window.gwsState.relayState === 'ready', null, 10000,
          'the page to register at the relay');

      // The producer shows up live under the name from its meta.
      const item = page.locator(`#producers li[data-peer-id="${producerId}"]`);
      await guard(item.waitFor({ timeout: 20000 }), producer);
      assert.equal(await item.getAttribute('data-name'), `Pattern-${codec}`);
      await item.click();

      const played = await guard(waitForPlayback(page), producer);
      // Congestion control starts at half size (300 kbit/s) and steps up
      // to the full picture as its estimate ramps.
      assert.ok([320, 640].includes(played.width), `first decoded ${played.width} wide`);
      await guard(waitForVideoSize(page, '#remote-video', 640, 480), producer);
      const stats = await until(page, () => {
        const s = window.gwsState.play.stats;
        return s && s.video && s.video.codec && s.video.width === 640 && s.audio &&
          s.audio.packets > 0 ? s : null;
      }, null, 15000, 'video codec, 640 wide, and audio packets in the stats');
      assert.equal(stats.video.codec.toUpperCase(), codec);
      assert.equal(stats.video.width, 640);
      assert.equal(stats.video.height, 480);
      assert.match(stats.candidatePair.local, /^127\.0\.0\.1:/);
      await screenshot(page, `webrtcsink-${tag}`);

      // Stop from the page: the relay ends the session at webrtcsink, which
      // keeps running and can be played again.
      await page.click('#stop-playing');
      await until(page, () => window.gwsState.play.state === 'idle', null, 5000,
          'the page to stop playing');
      assert.equal(producer.running, true, 'webrtcsink survives a consumer leaving');
      await item.click();
      await waitForPlayback(page);
    } finally {
      await browser.close();
      await producer.stop('SIGINT');
      await relay.proc.stop();
    }
  });
}
