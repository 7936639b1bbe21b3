// Chromium and our elements through a real Janus VideoRoom (Debian's janus),
// with a minimal page on Debian's janus.js (tests/janus/page/videoroom.html,
// served here with janus.js and webrtc-adapter from /usr/share/javascript):
//
//  - webrtcsink publishes into Janus; Chromium subscribes and decodes video;
//  - Chromium publishes its fake camera and microphone; webrtcsrc subscribes
//    by display name and decodes both.
//
// As the other janus tests: this file re-runs itself in a private network
// namespace (harness.mjs), then puts Janus in a second one (`ip netns add
// gwsjanus-<pid>`, veth gwsjv0 10.77.0.1) joined to ours (gwsjv1 10.77.0.2):
// Janus never gathers on loopback. Prints TAP; skips without root, Chromium,
// playwright-core, the built elements, or Janus and its JavaScript library.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  enterPrivateNetwork, missingRequirement, gstLaunch, launchChromium, openPage,
  screenshot, guard, Proc, sourceRoot,
} from '../browser/harness.mjs';

enterPrivateNetwork();

const JANUS_ADDR = '10.77.0.1';
const OUR_ADDR = '10.77.0.2';
const SERVER = `ws://${JANUS_ADDR}:8188/`;
const config = path.join(sourceRoot, 'tests', 'janus', 'config');
const pageFile = path.join(sourceRoot, 'tests', 'janus', 'page', 'videoroom.html');
const scripts = {
  '/js/janus.js': '/usr/share/javascript/janus-gateway/janus.js',
  '/js/adapter.js': '/usr/share/javascript/webrtc-adapter/adapter.js',
};

function missing() {
  const m = missingRequirement({ elements: true });
  if (m) return m;
  if (spawnSync('sh', ['-c', 'command -v janus']).status !== 0) {
    return 'janus is not installed (apt-get install janus)';
  }
  for (const f of Object.values(scripts)) {
    if (!fs.existsSync(f)) return `${f} is missing (apt-get install janus-demos)`;
  }
  return null;
}
const skip = missing();

const ns = `gwsjanus-${process.pid}`;
let janus = null;
let server = null;
let pageUrl = null;

function sh(...args) {
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
}

before(async () => {
  if (skip) return;
  sh('ip', 'netns', 'add', ns);
  sh('ip', 'link', 'add', 'gwsjv0', 'type', 'veth', 'peer', 'name', 'gwsjv1');
  sh('ip', 'link', 'set', 'gwsjv0', 'netns', ns);
  sh('ip', 'netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
  sh('ip', 'netns', 'exec', ns, 'ip', 'addr', 'add', `${JANUS_ADDR}/24`, 'dev', 'gwsjv0');
  sh('ip', 'netns', 'exec', ns, 'ip', 'link', 'set', 'gwsjv0', 'up');
  sh('ip', 'addr', 'add', `${OUR_ADDR}/24`, 'dev', 'gwsjv1');
  sh('ip', 'link', 'set', 'gwsjv1', 'up');
  janus = new Proc('janus', 'ip', ['netns', 'exec', ns, 'janus', '-F', config,
    '-C', path.join(config, 'janus.jcfg'), '-o']);
  await janus.waitFor(/websockets server started/i, 20000);

  server = http.createServer((req, res) => {
    const file = req.url === '/' ? pageFile : scripts[req.url];
    if (!file) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'Content-Type': file.endsWith('.js') ? 'text/javascript' : 'text/html' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  pageUrl = `http://127.0.0.1:${server.address().port}/`;
});

after(async () => {
  if (server) server.close();
  if (janus) await janus.stop();
  spawnSync('ip', ['netns', 'del', ns]);
});

// Waits until fn() in the page is truthy; the page's state in the error.
async function until(page, fn, arg, ms, what) {
  try {
    const h = await page.waitForFunction(fn, arg, { timeout: ms, polling: 100 });
    return await h.jsonValue();
  } catch {
    const s = await page.evaluate(() => JSON.stringify(window.state)).catch(() => '?');
    throw new Error(`timed out after ${ms} ms waiting for ${what}; state=${s}`);
  }
}

test('webrtcsink -> Janus -> Chromium (janus.js): the page decodes the video',
    { skip: skip || false, timeout: 90000 }, async () => {
  const pub = gstLaunch('janus-gst-publisher',
      'videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1 ! ' +
      'sink.video_0 audiotestsrc is-live=true ! sink.audio_0 ' +
      `webrtcsink name=sink ice-addresses=${OUR_ADDR} ` +
      `uri="janus+ws://${JANUS_ADDR}:8188/?room=1234&display=gst-cam"`,
      { env: { GST_DEBUG: 'webrtc-signaller-janus:4' } });
  const browser = await launchChromium();
  try {
    await guard(pub.waitFor(/joined room 1234 as feed/, 20000), pub);
    const page = await openPage(browser.context, 'janus-subscriber', pageUrl);
    await page.evaluate(([s]) => window.subscribe(s, 1234, 'gst-cam'), [SERVER]);
    await until(page, () => window.state.remoteVideo || window.state.error, null,
        30000, 'a remote video track');
    assert.equal(await page.evaluate(() => window.state.error), null);
    await until(page, () => window.frames() >= 30, null, 30000, '30 decoded frames');
    assert.ok(await page.evaluate(() => window.state.remoteAudio), 'an audio track too');
    await screenshot(page, 'janus-subscriber');
  } finally {
    await browser.close();
    await pub.stop('SIGKILL');
  }
});

test('Chromium (janus.js) -> Janus -> webrtcsrc: video and audio decoded',
    { skip: skip || false, timeout: 90000 }, async () => {
  const browser = await launchChromium();
  let consumer = null;
  try {
    const page = await openPage(browser.context, 'janus-publisher', pageUrl);
    await page.evaluate(([s]) => window.publish(s, 1234, 'web-cam'), [SERVER]);
    await until(page, () => window.state.webrtcup || window.state.error, null,
        30000, 'the page to publish');
    assert.equal(await page.evaluate(() => window.state.error), null);

    consumer = gstLaunch('janus-gst-subscriber',
        `webrtcsrc name=src ice-addresses=${OUR_ADDR} ` +
        `uri="janus+ws://${JANUS_ADDR}:8188/?room=1234&display=web-cam" ` +
        'src.video_0 ! queue ! videoconvert ! identity eos-after=30 ! fakesink sync=false ' +
        'src.audio_0 ! queue ! audioconvert ! identity eos-after=30 ! fakesink sync=false',
        { env: { GST_DEBUG: 'webrtc-signaller-janus:4' } });
    // Each branch ends after 30 decoded buffers; the pipeline ends (EOS)
    // only when both have.
    await guard(consumer.waitFor(/Got EOS from element/, 40000), consumer);
    await screenshot(page, 'janus-publisher');
  } finally {
    await browser.close();
    if (consumer) await consumer.stop('SIGKILL');
  }
});
