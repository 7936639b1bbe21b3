// The whole session life seen from the page: the producer going away while
// the page plays (the page says so and returns to the list), and the relay
// restarting (the page reconnects, lists again, and plays again once the
// producer is back). Once with another browser page as the producer, once
// with webrtcsink.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  enterPrivateNetwork, missingRequirement, startRelay, gstLaunch, launchChromium,
  openPage, screenshot, until, waitForPlayback, guard, gwsState,
} from './harness.mjs';

enterPrivateNetwork();

const skipBrowser = missingRequirement();
const skipElements = missingRequirement({ elements: true });

// Stops the relay and starts a new one on the same port; returns it once
// the page has noticed the loss and registered again.
async function restartRelay(relay, name, page) {
  const before = await gwsState(page);
  await relay.proc.stop('SIGTERM');
  await until(page, () => window.gwsState.relayState !== 'ready', null, 10000,
      'the page to notice the relay went away');
  await until(page, () => /relay/i.test(document.getElementById('notice').textContent),
      null, 5000, 'a notice about the lost relay');
  const again = await startRelay(name, { port: relay.port });
  await until(page, (n) => window.gwsState.relayState === 'ready' &&
      window.gwsState.connectCount === n + 1, before.connectCount, 20000,
      'the page to reconnect to the restarted relay');
  return again;
}

test('browser producer: the relay restarts while playing, then the producer leaves',
    { skip: skipBrowser || false, timeout: 120000 }, async () => {
  let relay = await startRelay('lifecycle-web-relay');
  const browser = await launchChromium();
  try {
    const publisher = await openPage(browser.context, 'lifecycle-web-publisher',
        `${relay.httpUrl}?peer-id=cam-web&name=Web%20camera`);
    const viewer = await openPage(browser.context, 'lifecycle-web-viewer', relay.httpUrl);
    await until(publisher, () => window.gwsState.relayState === 'ready', null, 10000,
        'the publisher to register');
    await publisher.click('#publish');
    const item = viewer.locator('#producers li[data-peer-id="cam-web"]');
    await item.waitFor({ timeout: 10000 });
    await item.click();
    await waitForPlayback(viewer);

    relay = await restartRelay(relay, 'lifecycle-web-relay-2', viewer);
    // The publisher came back under its claimed id and publishes again; the
    // viewer, which was playing it, plays it again by itself.
    await until(publisher, () => window.gwsState.relayState === 'ready' &&
        window.gwsState.publish.state === 'publishing', null, 20000,
        'the publisher to reconnect and publish again');
    await waitForPlayback(viewer, 20000);
    assert.equal((await gwsState(viewer)).play.producerId, 'cam-web');
    await screenshot(viewer, 'lifecycle-web-after-relay-restart');

    // The publisher's tab closes: the viewer says so and is back at the list.
    await publisher.close();
    await until(viewer, () => window.gwsState.play.state === 'idle' &&
        window.gwsState.producers.length === 0, null, 10000,
        'the viewer to notice the producer left');
    assert.match(await viewer.locator('#notice').textContent(), /Web camera left/);
    assert.equal(await viewer.locator('#player-panel').isVisible(), false);
    assert.equal(await viewer.locator('#no-producers').isVisible(), true);
    await screenshot(viewer, 'lifecycle-web-producer-left');
  } finally {
    await browser.close();
    await relay.proc.stop();
  }
});

test('webrtcsink producer: it stops while the page plays, then the relay restarts',
    { skip: skipElements || false, timeout: 150000 }, async () => {
  let relay = await startRelay('lifecycle-sink-relay');
  const pipeline = () => gstLaunch('lifecycle-sink-gst',
      'videotestsrc is-live=true pattern=ball ' +
      '! video/x-raw,width=640,height=480,framerate=30/1 ' +
      `! webrtcsink uri="${relay.wsUrl}?peer-id=cam1" ice-addresses=127.0.0.1 ` +
      'video-codecs="<VP8>"');
  let producer = pipeline();
  const browser = await launchChromium();
  try {
    const page = await openPage(browser.context, 'lifecycle-sink-page', relay.httpUrl);
    const item = page.locator('#producers li[data-peer-id="cam1"]');
    await guard(item.waitFor({ timeout: 20000 }), producer);
    await item.click();
    await guard(waitForPlayback(page), producer);

    // The producer dies (no goodbye): the page notices and goes back.
    await producer.stop('SIGKILL');
    await until(page, () => window.gwsState.play.state === 'idle' &&
        window.gwsState.producers.length === 0, null, 10000,
        'the page to notice webrtcsink stopped');
    assert.match(await page.locator('#notice').textContent(), /cam1 left/);
    await screenshot(page, 'lifecycle-sink-producer-left');

    // It comes back and plays again.
    producer = pipeline();
    await guard(item.waitFor({ timeout: 20000 }), producer);
    await item.click();
    await guard(waitForPlayback(page), producer);

    // The relay restarts: the page and webrtcsink both reconnect, and the
    // page resumes the stream it was playing.
    relay = await restartRelay(relay, 'lifecycle-sink-relay-2', page);
    await guard(waitForPlayback(page, 30000), producer);
    assert.equal((await gwsState(page)).play.producerId, 'cam1');
    await screenshot(page, 'lifecycle-sink-after-relay-restart');
  } finally {
    await browser.close();
    await producer.stop('SIGINT');
    await relay.proc.stop();
  }
});
