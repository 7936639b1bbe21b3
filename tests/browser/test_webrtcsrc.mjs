// Chromium publishes its fake camera and microphone from the web client; a
// webrtcsrc pipeline receives both and decodes them: raw video and raw audio
// buffers reach its sinks (counted from gst-launch -v, where each fakesink
// with silent=false reports every event and buffer it gets).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  enterPrivateNetwork, missingRequirement, startRelay, gstLaunch, launchChromium,
  openPage, screenshot, until, guard,
} from './harness.mjs';

enterPrivateNetwork();

const skip = missingRequirement({ elements: true });

function count(text, regex) {
  return (text.match(regex) || []).length;
}

test('webrtcsrc receives and decodes video and audio published by Chromium',
    { skip: skip || false, timeout: 90000 }, async () => {
  const relay = await startRelay('webrtcsrc-relay');
  const browser = await launchChromium();
  let consumer = null;
  try {
    // The page claims a stable id, the call token webrtcsrc asks for.
    const page = await openPage(browser.context, 'webrtcsrc-page',
        `${relay.httpUrl}?peer-id=web-cam&name=Browser%20camera`);
    await until(page, () => window.gwsState.relayState === 'ready', null, 10000,
        'the page to register at the relay');
    assert.equal((await page.evaluate(() => window.gwsState.peerId)), 'web-cam');
    assert.equal(await page.inputValue('#publish-name'), 'Browser camera');
    await page.click('#publish');
    await until(page, () => window.gwsState.publish.state === 'publishing', null, 10000,
        'the page to publish');

    consumer = gstLaunch('webrtcsrc-gst',
        `webrtcsrc name=src uri="${relay.wsUrl}?peer-id=web-cam" ice-addresses=127.0.0.1 ` +
        'src.video_0 ! queue ! videoconvert ! fakesink name=vsink silent=false sync=false ' +
        'src.audio_0 ! queue ! audioconvert ! fakesink name=asink silent=false sync=false',
        { verbose: true });

    // Decoded caps reach both sinks (the caps event each fakesink reports in
    // its last-message), then a steady flow of buffers.
    const video = await guard(consumer.waitFor(
        /\(vsink:sink\) E \(type: caps .*video\/x-raw.*width\\=\\\(int\\\)(\d+).*height\\=\\\(int\\\)(\d+)/,
        30000), consumer);
    assert.ok(Number(video[1]) > 0 && Number(video[2]) > 0, `video size ${video[1]}x${video[2]}`);
    await guard(consumer.waitFor(/\(asink:sink\) E \(type: caps .*audio\/x-raw/, 30000), consumer);
    await until(page, () => {
      const s = window.gwsState.publish.sessions;
      return s.length === 1 && s[0].state === 'connected';
    }, null, 15000, 'the page to show webrtcsrc as a connected viewer');

    const buffers = (sink) => count(consumer.output, new RegExp(`chain +\\*+ \\(${sink}:sink\\)`, 'g'));
    await guard(new Promise((resolve) => {
      const check = () => (buffers('vsink') >= 60 && buffers('asink') >= 60
        ? resolve() : setTimeout(check, 100));
      check();
    }), consumer);
    // ...and it keeps flowing.
    await guard(consumer.waitFor(/chain +\*+ \(vsink:sink\)/, 5000,
        { from: consumer.output.length }), consumer);

    const viewer = await until(page, () => {
      const s = window.gwsState.publish.sessions[0];
      return s && s.stats && s.stats.video && s.stats.video.frames > 0 ? s : null;
    }, null, 10000, 'outbound video stats on the page');
    assert.equal(viewer.stats.direction, 'outbound');
    await screenshot(page, 'webrtcsrc-publisher');

    // webrtcsrc goes away: the page drops the viewer and keeps publishing.
    await consumer.stop('SIGINT');
    await until(page, () => window.gwsState.publish.sessions.length === 0 &&
        window.gwsState.publish.state === 'publishing', null, 10000,
        'the page to drop the viewer that left');
  } finally {
    await browser.close();
    if (consumer) await consumer.stop('SIGKILL');
    await relay.proc.stop();
  }
});
