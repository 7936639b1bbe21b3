// The page with a relay that guards access: an access token (--token), and
// TLS (--cert/--key), where the page, loaded over https://, must talk wss://.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, after } from 'node:test';
import {
  enterPrivateNetwork, missingRequirement, startRelay, launchChromium,
  openPage, screenshot, until, waitForPlayback,
} from './harness.mjs';

enterPrivateNetwork();

const skip = missingRequirement();
const skipTls = skip ||
    (spawnSync('openssl', ['version']).status === 0 ? null : 'no openssl to make a test certificate');

test('with --token the page connects only when opened with ?token=',
    { skip: skip || false, timeout: 60000 }, async () => {
  const relay = await startRelay('access-token-relay', { args: ['--token', 's3cret'] });
  const browser = await launchChromium();
  try {
    const refused = await openPage(browser.context, 'access-token-refused', relay.httpUrl);
    const allowed = await openPage(browser.context, 'access-token-allowed',
        `${relay.httpUrl}?token=s3cret`);
    await until(allowed, () => window.gwsState.relayState === 'ready', null, 10000,
        'the page with the token to register');
    assert.match(await allowed.evaluate(() => window.gwsState.relayUrl), /[?&]token=s3cret/);

    // Without it: refused (401 before the upgrade), retrying, and the page
    // says what may be wrong.
    await until(refused, () => /access token/.test(document.getElementById('notice').textContent),
        null, 15000, 'the page without the token to explain it cannot connect');
    const st = await refused.evaluate(() => window.gwsState);
    assert.equal(st.connectCount, 0);
    assert.notEqual(st.relayState, 'ready');
    assert.doesNotMatch(await refused.locator('#notice').textContent(), /s3cret/);
    await screenshot(refused, 'access-token-refused');
    assert.match(relay.proc.output, /401|refused|token/i);
  } finally {
    await browser.close();
    await relay.proc.stop();
  }
});

test('over https the page uses wss and a session works end to end',
    { skip: skipTls || false, timeout: 90000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gws-tls-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes',
    '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `openssl failed: ${r.stderr}`);

  const relay = await startRelay('access-tls-relay', { args: ['--cert', cert, '--key', key] });
  assert.match(relay.httpUrl, /^https:/);
  // A self-signed certificate made just now: tell Chromium to accept it.
  const browser = await launchChromium({ extraArgs: ['--ignore-certificate-errors'] });
  try {
    const publisher = await openPage(browser.context, 'access-tls-publisher',
        `${relay.httpUrl}?name=Secure%20camera`);
    const viewer = await openPage(browser.context, 'access-tls-viewer', relay.httpUrl);
    await until(viewer, () => window.gwsState.relayState === 'ready', null, 10000,
        'the https page to register over wss');
    assert.match(await viewer.evaluate(() => window.gwsState.relayUrl), /^wss:\/\/127\.0\.0\.1:/);
    await until(publisher, () => window.gwsState.relayState === 'ready', null, 10000,
        'the publisher to register');
    await publisher.click('#publish');
    const item = viewer.locator('#producers li[data-name="Secure camera"]');
    await item.waitFor({ timeout: 10000 });
    await item.click();
    await waitForPlayback(viewer);
    await screenshot(viewer, 'access-tls-viewer');
  } finally {
    await browser.close();
    await relay.proc.stop();
  }
});
