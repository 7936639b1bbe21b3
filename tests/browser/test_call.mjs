// Two-way calls between the page and a pipeline (docs/calls.md): a
// gst-launch webrtccall waits for calls as "bob"; the page's "Call" button
// calls it with Chromium's fake camera and microphone. Media flows both
// ways on one peer connection: the page decodes bob's video and receives
// his audio; bob's pipeline decodes the page's video and audio (counted
// from gst-launch -v: each fakesink with silent=false reports every
// buffer). Then the call is ended by one side, and the other sees it.

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

function startBob(relay) {
  return gstLaunch('call-bob',
      `-e -m webrtccall name=c uri=${relay.wsUrl} peer-id=bob ice-addresses=127.0.0.1 ` +
      'videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1 ! c.video_0 ' +
      'audiotestsrc is-live=true ! c.audio_0 ' +
      'c.remote_video_0 ! queue ! fakesink name=rv silent=false sync=false ' +
      'c.remote_audio_0 ! queue ! fakesink name=ra silent=false sync=false',
      { verbose: true, env: { GST_DEBUG: 'webrtccall:5,webrtcsink:4' } });
}

// The call is up both ways: bob decodes >= 30 video frames and 30 audio
// buffers from the page, the page decodes bob's video and gets his audio.
async function callBob(page, bob) {
  await until(page, () => window.gwsState.relayState === 'ready', null, 10000,
      'the page to register at the relay');
  await until(page, () => window.gwsState.producers.some((p) => p.id === 'bob'), null, 15000,
      'bob in the page\'s list');
  await page.click('#producers li[data-peer-id="bob"] button.call');
  await guard(bob.waitFor(/gws-call-answered/, 20000), bob);
  await until(page, () => window.gwsState.play.state === 'connected' &&
      window.gwsState.play.call, null, 20000, 'the call to connect');
  const size = await until(page, () => {
    const v = document.getElementById('remote-video');
    return v.videoWidth > 0 ? { width: v.videoWidth, height: v.videoHeight } : null;
  }, null, 20000, 'bob\'s video decoded on the page');
  assert.deepEqual(size, { width: 320, height: 240 });
  const buffers = (sink) => count(bob.output, new RegExp(`chain +\\*+ \\(${sink}:sink\\)`, 'g'));
  await guard(new Promise((resolve) => {
    const check = () => (buffers('rv') >= 30 && buffers('ra') >= 30
      ? resolve() : setTimeout(check, 100));
    check();
  }), bob);
  const stats = await until(page, async () => {
    const s = await window.gwsControl.callStats();
    return s && s.inVideoFrames >= 30 && s.inAudioPackets >= 30 &&
        s.outVideoFrames > 0 && s.outAudioPackets > 0 ? s : null;
  }, null, 20000, 'frames both ways in the page\'s getStats');
  // Bob decoded the page's camera: 4:3 (Chromium's fake camera is 640x480,
  // its encoder may start smaller).
  const caps = bob.output.match(
      /\(rv:sink\) E \(type: caps .*video\/x-raw.*width\\=\\\(int\\\)(\d+).*height\\=\\\(int\\\)(\d+)/);
  assert.ok(caps && Number(caps[1]) * 3 === Number(caps[2]) * 4,
      `bob decodes the page's camera: ${caps && caps.slice(1)}`);
  return { stats, bobVideo: buffers('rv'), bobAudio: buffers('ra') };
}

test('a call between the page and a webrtccall carries camera and microphone both ways; '
    + 'the page hangs up', { skip: skip || false, timeout: 90000 }, async () => {
  const relay = await startRelay('call-relay');
  const browser = await launchChromium();
  const bob = startBob(relay);
  try {
    const page = await openPage(browser.context, 'call-page', relay.httpUrl);
    const got = await callBob(page, bob);
    console.log('# call both ways:', JSON.stringify(got));
    await screenshot(page, 'call-page');
    const from = bob.output.length;
    await page.click('#stop-playing');
    const ended = await guard(bob.waitFor(/gws-call-ended.*by=\(string\)(\w+)/, 10000,
        { from }), bob);
    assert.equal(ended[1], 'remote');
    assert.ok(bob.running, 'bob waits for the next call');
  } finally {
    await browser.close();
    await bob.stop('SIGKILL');
    await relay.proc.stop();
  }
});

test('the pipeline hangs up mid-call: the page shows the call ended',
    { skip: skip || false, timeout: 90000 }, async () => {
  const relay = await startRelay('call-relay2');
  const browser = await launchChromium();
  const bob = startBob(relay);
  try {
    const page = await openPage(browser.context, 'call-page2', relay.httpUrl);
    await callBob(page, bob);
    await bob.stop('SIGINT', 10000); // -e: EOS into bob's sources: he hangs up
    assert.match(bob.output, /gws-call-ended.*by=\(string\)local/);
    // The page speaks protocol v1_0: a plain endSession, no reason. Bob's
    // gst-launch then exits, so "bob left" may follow at once.
    await until(page, () => window.gwsState.play.state === 'idle' &&
        window.gwsState.notices.some((n) => n.text.startsWith('bob ended the session')),
        null, 10000, 'the page to end the call');
    const local = await page.evaluate(() => document.getElementById('local-video').hidden);
    assert.ok(local, 'the camera preview is gone with the call');
  } finally {
    await browser.close();
    await bob.stop('SIGKILL');
    await relay.proc.stop();
  }
});
