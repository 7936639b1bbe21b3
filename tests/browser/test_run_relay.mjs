// One line to a browser: `gst-launch-1.0 videotestsrc ! webrtcsink
// run-relay=true` starts the relay and its page inside gst-launch's process
// and prints the page's address; Chromium opens that address, finds the
// producer under the name of webrtcsink's `meta`, and plays it.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  enterPrivateNetwork, missingRequirement, gstLaunch, launchChromium,
  openPage, screenshot, until, waitForPlayback, guard,
} from './harness.mjs';

enterPrivateNetwork();

const skip = missingRequirement({ elements: true });

test('gst-launch videotestsrc ! webrtcsink run-relay=true plays in Chromium',
    { skip: skip || false, timeout: 90000 }, async () => {
  // The README's line, plus a name for the page; nothing else: no relay
  // process, no uri, the default port 8443 (free in this private namespace),
  // no ice-addresses (loopback-only here: webrtcsink takes 127.0.0.1 itself).
  const producer = gstLaunch('run-relay-gst',
      'videotestsrc ! webrtcsink run-relay=true ' +
      'meta="meta,name=(string)Kitchen"');
  const browser = await launchChromium();
  try {
    const m = await producer.waitFor(/open (http:\/\/127\.0\.0\.1:(\d+)\/) in a browser/, 15000);
    assert.equal(m[2], '8443');
    const page = await openPage(browser.context, 'run-relay-page', m[1]);
    await until(page, () => window.gwsState.relayState === 'ready', null, 10000,
        'the page to register at the in-process relay');
    const item = page.locator('#producers li[data-name="Kitchen"]');
    await guard(item.waitFor({ timeout: 20000 }), producer);
    await item.click();
    const played = await guard(waitForPlayback(page), producer);
    assert.ok(played.width > 0 && played.height > 0, JSON.stringify(played));
    await screenshot(page, 'run-relay');
  } finally {
    await browser.close();
    await producer.stop('SIGINT');
  }
  assert.ok(producer.exitCode === 0 || producer.exitSignal === 'SIGINT',
      `gst-launch ended with code ${producer.exitCode} signal ${producer.exitSignal}`);
});
