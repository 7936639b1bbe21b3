// Chromium accepts our DTLS certificates: it checks the certificate each
// handshake presents against the a=fingerprint of the SDP, and refuses the
// connection when they differ (webrtcbin 1.22 alone would advertise a wrong
// fingerprint for any certificate set through `pem`). Both directions, each
// with a certificate pinned through the `certificate` property (made with
// the openssl program, not our code) and with the default one (an ECDSA
// P-256 certificate made per process).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import {
  enterPrivateNetwork, missingRequirement, startRelay, gstLaunch, launchChromium,
  openPage, until, waitForPlayback, guard,
} from './harness.mjs';

enterPrivateNetwork();

const skip = missingRequirement({ elements: true });

// A self-signed certificate + key (PEM) and its SHA-256 fingerprint.
function makeCertificate(keyArgs) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gws-cert-'));
  const key = path.join(dir, 'key.pem');
  const crt = path.join(dir, 'crt.pem');
  execFileSync('openssl', ['req', '-x509', '-nodes', '-days', '2', '-subj', '/CN=pinned',
    '-keyout', key, '-out', crt, ...keyArgs], { stdio: 'ignore' });
  const pem = fs.readFileSync(crt, 'utf8') + fs.readFileSync(key, 'utf8');
  const fp = execFileSync('openssl', ['x509', '-in', crt, '-noout', '-fingerprint', '-sha256'],
      { encoding: 'utf8' }).trim().split('=')[1].toUpperCase();
  fs.rmSync(dir, { recursive: true, force: true });
  return { pem, fp };
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];

for (const pinned of [true, false]) {
  const label = pinned ? 'a pinned ECDSA certificate' : 'the default certificate';
  const tag = pinned ? 'pinned' : 'default';

  test(`Chromium plays webrtcsink with ${label}`,
      { skip: skip || false, timeout: 90000 }, async () => {
    const cert = pinned ? makeCertificate(EC) : null;
    const relay = await startRelay(`cert-sink-${tag}-relay`);
    const producer = gstLaunch(`cert-sink-${tag}-gst`,
        'videotestsrc is-live=true pattern=smpte ' +
        '! video/x-raw,width=320,height=240,framerate=30/1 ' +
        `! webrtcsink uri="${relay.wsUrl}?peer-id=cam" ice-addresses=127.0.0.1 ` +
        'video-codecs="<VP8>"' + (cert ? ` certificate="${cert.pem}"` : ''));
    const browser = await launchChromium();
    try {
      const page = await openPage(browser.context, `cert-sink-${tag}-page`, relay.httpUrl);
      await until(page, () => window.gwsState.relayState === 'ready', null, 10000,
          'the page to register at the relay');
      const item = page.locator('#producers li[data-peer-id="cam"]');
      await guard(item.waitFor({ timeout: 20000 }), producer);
      await item.click();
      await guard(waitForPlayback(page), producer);
      const remote = await until(page, () => {
        const s = window.gwsState.play.stats;
        return s && s.remoteCertificate ? s.remoteCertificate : null;
      }, null, 15000, 'the remote certificate in the stats');
      assert.equal(remote.algorithm, 'sha-256');
      if (cert) assert.equal(remote.fingerprint.toUpperCase(), cert.fp);
    } finally {
      await browser.close();
      await producer.stop('SIGINT');
      await relay.proc.stop();
    }
  });

  test(`webrtcsrc receives Chromium's publication with ${label}`,
      { skip: skip || false, timeout: 90000 }, async () => {
    const cert = pinned ? makeCertificate(EC) : null;
    const relay = await startRelay(`cert-src-${tag}-relay`);
    const browser = await launchChromium();
    let consumer = null;
    try {
      const page = await openPage(browser.context, `cert-src-${tag}-page`,
          `${relay.httpUrl}?peer-id=web-cam`);
      await until(page, () => window.gwsState.relayState === 'ready', null, 10000,
          'the page to register at the relay');
      await page.click('#publish');
      await until(page, () => window.gwsState.publish.state === 'publishing', null, 10000,
          'the page to publish');
      consumer = gstLaunch(`cert-src-${tag}-gst`,
          `webrtcsrc name=src uri="${relay.wsUrl}?peer-id=web-cam" ice-addresses=127.0.0.1 ` +
          (cert ? `certificate="${cert.pem}" ` : '') +
          'src.video_0 ! queue ! fakesink name=vsink silent=false sync=false ' +
          'src.audio_0 ! queue ! fakesink sync=false',
          { verbose: true });
      await guard(consumer.waitFor(/chain +\*+ \(vsink:sink\)/, 30000), consumer);
      const viewer = await until(page, () => {
        const s = window.gwsState.publish.sessions[0];
        return s && s.state === 'connected' && s.stats && s.stats.remoteCertificate
          ? s.stats.remoteCertificate : null;
      }, null, 15000, 'the viewer\'s certificate in the publisher\'s stats');
      assert.equal(viewer.algorithm, 'sha-256');
      if (cert) assert.equal(viewer.fingerprint.toUpperCase(), cert.fp);
    } finally {
      await browser.close();
      if (consumer) await consumer.stop('SIGKILL');
      await relay.proc.stop();
    }
  });
}
