// The web client behind a proxy that refuses WebSocket upgrades
// (tests/e2e/noupgrade_proxy.py): the page, served through the proxy, sees
// its WebSocket refused, falls back to HTTP long-poll at the same address,
// registers, and plays webrtcsink (itself on poll+http:// through the same
// proxy); with every held GET cut by the proxy, signalling goes on (the page
// plays again). Without the proxy the page stays on WebSocket.

import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import {
  enterPrivateNetwork, missingRequirement, startRelay, gstLaunch, launchChromium,
  openPage, until, waitForPlayback, guard, Proc, sourceRoot,
} from './harness.mjs';

enterPrivateNetwork();

const skip = missingRequirement({ elements: true });
const proxyScript = path.join(sourceRoot, 'tests', 'e2e', 'noupgrade_proxy.py');

async function startProxy(name, upstreamPort) {
  const proc = new Proc(name, '/usr/bin/python3', [proxyScript, '0', String(upstreamPort)],
      { stdin: 'pipe' });
  const m = await proc.waitFor(/"event": "listening", "port": (\d+)/, 10000);
  return { proc, port: Number(m[1]) };
}

test('the page falls back to long-poll when a proxy refuses WebSocket, and plays webrtcsink',
    { skip: skip || false, timeout: 120000 }, async () => {
  const relay = await startRelay('longpoll-relay', { args: ['--poll-hold', '5'] });
  const proxy = await startProxy('longpoll-proxy', relay.port);
  const producerId = 'pattern-poll';
  const producer = gstLaunch('longpoll-gst',
      'videotestsrc is-live=true pattern=smpte ' +
      '! video/x-raw,width=320,height=240,framerate=30/1 ' +
      `! webrtcsink name=sink uri="poll+http://127.0.0.1:${proxy.port}/?peer-id=${producerId}" ` +
      'ice-addresses=127.0.0.1 video-codecs="<VP8>" ' +
      'signaller::meta="meta,name=(string)Poll-Pattern"');
  const browser = await launchChromium();
  try {
    const page = await openPage(browser.context, 'longpoll-page',
        `http://127.0.0.1:${proxy.port}/`);
    await guard(until(page, () => window.gwsState.relayState === 'ready', null, 20000,
        'the page to register at the relay through the proxy'), relay.proc, proxy.proc);
    assert.equal((await page.evaluate(() => window.gwsState.relayTransport)), 'long-poll');
    await proxy.proc.waitFor(/"event": "refused-upgrade"/, 5000);

    const item = page.locator(`#producers li[data-peer-id="${producerId}"]`);
    await guard(item.waitFor({ timeout: 20000 }), producer);
    await item.click();
    const played = await guard(waitForPlayback(page), producer);
    assert.deepEqual([played.width, played.height], [320, 240]);

    // Cut every held GET (the page's and webrtcsink's): nothing is lost,
    // the page stops and plays again over the same connections.
    const before = await page.evaluate(() => window.gwsState.connectCount);
    const from = proxy.proc.output.length;
    proxy.proc.child.stdin.write('drop\n');
    await proxy.proc.waitFor(/"event": "dropped", "count": [1-9]/, 5000, { from });
    await page.click('#stop-playing');
    await until(page, () => window.gwsState.play.state === 'idle', null, 10000,
        'the page to stop playing');
    await item.click();
    await guard(waitForPlayback(page), producer);
    assert.equal(await page.evaluate(() => window.gwsState.connectCount), before,
        'the page reconnected instead of surviving the cut GET');
    assert.equal(await page.evaluate(() => window.gwsState.relayTransport), 'long-poll');
  } finally {
    await browser.close();
    await producer.stop('SIGINT');
    await proxy.proc.stop();
    await relay.proc.stop();
  }
});

test('without a proxy the page stays on WebSocket', { skip: skip || false, timeout: 60000 },
    async () => {
  const relay = await startRelay('longpoll-direct-relay');
  const browser = await launchChromium();
  try {
    const page = await openPage(browser.context, 'longpoll-direct-page', relay.httpUrl);
    await until(page, () => window.gwsState.relayState === 'ready', null, 10000,
        'the page to register at the relay');
    assert.equal(await page.evaluate(() => window.gwsState.relayTransport), 'websocket');
  } finally {
    await browser.close();
    await relay.proc.stop();
  }
});
