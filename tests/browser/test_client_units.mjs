// The web client's browser-independent modules under node, no browser, no
// network: the relay protocol client against a scripted WebSocket, the relay
// URL a page derives from its own location, the getStats() reduction, the
// remote-control mode's input conversion and the data channels' send queue
// across connections.

import assert from 'node:assert/strict';
import { test } from 'node:test';

class FakeWebSocket extends EventTarget {
  static OPEN = 1;
  static sockets = [];
  constructor(url) {
    super();
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    FakeWebSocket.sockets.push(this);
  }

  send(text) { this.sent.push(JSON.parse(text)); }
  close(code = 1000) { this.serverClose(code); }
  // What the relay does:
  open() {
    this.readyState = FakeWebSocket.OPEN;
    this.dispatchEvent(new Event('open'));
  }
  deliver(msg) {
    const ev = new Event('message');
    ev.data = typeof msg === 'string' ? msg : JSON.stringify(msg);
    this.dispatchEvent(ev);
  }
  serverClose(code = 1006, reason = '') {
    if (this.readyState === 3) return;
    this.readyState = 3;
    const ev = new Event('close');
    ev.code = code;
    ev.reason = reason;
    this.dispatchEvent(ev);
  }
}
globalThis.WebSocket = FakeWebSocket;

// The long-poll fallback's HTTP requests, answered by a script (no network
// here: a request the script does not expect fails as a network error).
const fetched = [];
let fetchScript = null; // (url, init) => Promise<Response> | undefined
globalThis.fetch = (url, init = {}) => {
  const entry = { url: String(url), method: init.method || 'GET', body: init.body };
  fetched.push(entry);
  const answer = fetchScript && fetchScript(entry, init);
  if (answer) return answer;
  return Promise.reject(new TypeError('fetch failed (no network in unit tests)'));
};
function held(init) {
  // A GET the relay holds: settles only when aborted.
  return new Promise((resolve, reject) => {
    init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
  });
}
function json(body, status = 200) {
  return Promise.resolve(new Response(JSON.stringify(body), { status }));
}

const { RelayClient, relayUrlFor } = await import('../../signaling/web/relay-client.js');
const { summarize, formatStats } = await import('../../signaling/web/stats.js');
const { keysym, modifiers, videoPoint, navigationEvent, RemoteControl } =
    await import('../../signaling/web/remote-control.js');
const { SessionChannels } = await import('../../signaling/web/data-channels.js');

function nextEvent(target, type, predicate = () => true) {
  return new Promise((resolve) => {
    const on = (ev) => {
      if (!predicate(ev.detail)) return;
      target.removeEventListener(type, on);
      resolve(ev.detail);
    };
    target.addEventListener(type, on);
  });
}

function lastSocket() {
  return FakeWebSocket.sockets[FakeWebSocket.sockets.length - 1];
}

test('the relay URL follows the page: same host and port, ws or wss, peer-id and token passed on', () => {
  assert.equal(relayUrlFor(new URL('http://127.0.0.1:8443/')), 'ws://127.0.0.1:8443/');
  assert.equal(relayUrlFor(new URL('https://cams.example:9000/index.html')),
      'wss://cams.example:9000/');
  assert.equal(relayUrlFor(new URL('http://h:1/?peer-id=web1&token=s3&name=x')),
      'ws://h:1/?peer-id=web1&token=s3');
  assert.equal(relayUrlFor(new URL('http://h:1/?relay=ws://other:2/')), 'ws://other:2/');
});

test('registers, becomes ready on its own peerStatusChanged, then lists', async () => {
  const client = new RelayClient('ws://relay/', { initialBackoffMs: 1 });
  client.start();
  const ws = lastSocket();
  ws.open();
  ws.deliver({ type: 'welcome', peerId: 'me' });
  assert.equal(client.state, 'registering');
  assert.deepEqual(ws.sent, [{ type: 'setPeerStatus', roles: ['listener'], meta: null }]);

  // Someone else's status does not make us ready.
  ws.deliver({ type: 'peerStatusChanged', peerId: 'other', roles: ['listener'], meta: null });
  assert.equal(client.state, 'registering');
  const ready = nextEvent(client, 'ready');
  ws.deliver({ type: 'peerStatusChanged', peerId: 'me', roles: ['listener'], meta: null });
  assert.deepEqual(await ready, { peerId: 'me' });
  assert.equal(client.connectCount, 1);
  assert.deepEqual(ws.sent.at(-1), { type: 'list' });

  // Publishing: new roles and meta, ready again when the relay confirms.
  client.setRoles(['listener', 'producer'], { name: 'cam' });
  assert.equal(client.state, 'registering');
  assert.deepEqual(ws.sent.at(-1),
      { type: 'setPeerStatus', roles: ['listener', 'producer'], meta: { name: 'cam' } });
  ws.deliver({ type: 'peerStatusChanged', peerId: 'me', roles: ['producer', 'listener'],
    meta: { name: 'cam' } });
  assert.equal(client.state, 'ready');
  assert.equal(client.connectCount, 1, 'a re-registration is not a new connection');

  // ICE is relayed whole, SDP as {type, sdp}.
  const cand = { candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host',
    sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'u' };
  client.sendIce('s1', cand);
  assert.deepEqual(ws.sent.at(-1), { type: 'peer', sessionId: 's1', ice: cand });
  client.sendSdp('s1', { type: 'answer', sdp: 'v=0\r\n', extra: 1 });
  assert.deepEqual(ws.sent.at(-1), { type: 'peer', sessionId: 's1',
    sdp: { type: 'answer', sdp: 'v=0\r\n' } });
  client.stop();
  assert.equal(client.state, 'stopped');
});

test('reconnects after the relay goes away and registers its roles again', async () => {
  const client = new RelayClient('ws://relay/?peer-id=cam', { initialBackoffMs: 1, maxBackoffMs: 4 });
  const messages = [];
  client.addEventListener('message', (ev) => messages.push(ev.detail.type));
  client.setRoles(['listener', 'producer'], { name: 'cam' });
  client.start();
  let ws = lastSocket();
  assert.equal(ws.url, 'ws://relay/?peer-id=cam');
  ws.open();
  ws.deliver({ type: 'welcome', peerId: 'cam' });
  ws.deliver({ type: 'peerStatusChanged', peerId: 'cam', roles: ['listener', 'producer'], meta: { name: 'cam' } });
  assert.equal(client.state, 'ready');

  const down = nextEvent(client, 'disconnected');
  ws.serverClose(1001, 'shutting down');
  assert.equal((await down).code, 1001);
  assert.equal(client.state, 'disconnected');
  assert.equal(client.peerId, null);

  // Refused while the relay is still down: backs off and tries again.
  await nextEvent(client, 'statechange', (d) => d.state === 'connecting');
  const refused = lastSocket();
  refused.serverClose(1006);
  await nextEvent(client, 'statechange', (d) => d.state === 'connecting');
  ws = lastSocket();
  assert.notEqual(ws, refused);
  ws.open();
  ws.deliver({ type: 'welcome', peerId: 'cam' });
  assert.deepEqual(ws.sent, [{ type: 'setPeerStatus', roles: ['listener', 'producer'],
    meta: { name: 'cam' } }]);
  ws.deliver({ type: 'peerStatusChanged', peerId: 'cam', roles: ['listener', 'producer'], meta: { name: 'cam' } });
  assert.equal(client.state, 'ready');
  assert.equal(client.connectCount, 2);

  // Garbage from the relay is ignored, not fatal.
  ws.deliver('not json');
  ws.deliver({ no: 'type' });
  assert.equal(client.state, 'ready');
  ws.deliver({ type: 'error', details: 'startSession: no peer with id "x"' });
  assert.equal(client.lastError, 'startSession: no peer with id "x"');
  assert.deepEqual(messages.filter((t) => t === 'error'), ['error']);
  client.stop();
});

test('a WebSocket that never opens falls back to long-poll; a lost GET is asked again with the same number', async () => {
  let gets = 0;
  fetched.length = 0;
  fetchScript = (req, init) => {
    if (req.method === 'POST' && req.url === 'http://relay:1/poll?peer-id=me') {
      return json({ id: 'abc', hold: 1 });
    }
    if (req.method === 'GET' && req.url.startsWith('http://relay:1/poll/abc?after=')) {
      gets++;
      if (gets === 1) return Promise.reject(new TypeError('proxy cut it'));
      if (gets === 2) return json({ messages: [{ type: 'welcome', peerId: 'me' }], last: 1 });
      return held(init);
    }
    if (req.method === 'POST' && req.url === 'http://relay:1/poll/abc') {
      return Promise.resolve(new Response(null, { status: 204 }));
    }
    if (req.method === 'DELETE') return Promise.resolve(new Response(null, { status: 204 }));
    return undefined;
  };
  const client = new RelayClient('ws://relay:1/?peer-id=me', { initialBackoffMs: 1 });
  const registering = nextEvent(client, 'statechange', (d) => d.state === 'registering');
  client.start();
  lastSocket().serverClose(1006, 'HTTP 403'); // never opened: a proxy refused it
  await registering;
  assert.equal(client.transport, 'long-poll');
  assert.equal(client.peerId, 'me');
  const getUrls = fetched.filter((r) => r.method === 'GET').map((r) => r.url);
  assert.deepEqual(getUrls.slice(0, 3), ['http://relay:1/poll/abc?after=0',
    'http://relay:1/poll/abc?after=0', 'http://relay:1/poll/abc?after=1']);
  // What the client sends goes out as a POST batch.
  await new Promise((resolve) => setImmediate(resolve));
  const post = fetched.find((r) => r.method === 'POST' && r.url === 'http://relay:1/poll/abc');
  assert.deepEqual(JSON.parse(post.body),
      [{ type: 'setPeerStatus', roles: ['listener'], meta: null }]);
  client.stop();
  assert.ok(fetched.some((r) => r.method === 'DELETE' && r.url === 'http://relay:1/poll/abc'));
  fetchScript = null;
});

// A getStats() report as Chromium gives it (the fields we read).
function report(entries) {
  return new Map(entries.map((e) => [e.id, e]));
}

test('inbound stats: resolution, fps, bitrate from byte deltas, RTT of the selected pair, loss', () => {
  const base = (t, vbytes, abytes) => report([
    { id: 'T', type: 'transport', timestamp: t, selectedCandidatePairId: 'P' },
    { id: 'P', type: 'candidate-pair', timestamp: t, currentRoundTripTime: 0.004,
      localCandidateId: 'L', remoteCandidateId: 'R', nominated: true, state: 'succeeded' },
    { id: 'L', type: 'local-candidate', timestamp: t, address: '127.0.0.1', port: 5000, protocol: 'udp' },
    { id: 'R', type: 'remote-candidate', timestamp: t, address: '127.0.0.1', port: 6000, protocol: 'udp' },
    { id: 'CV', type: 'codec', timestamp: t, mimeType: 'video/VP8' },
    { id: 'CA', type: 'codec', timestamp: t, mimeType: 'audio/opus' },
    { id: 'V', type: 'inbound-rtp', kind: 'video', timestamp: t, codecId: 'CV',
      bytesReceived: vbytes, packetsReceived: 100, packetsLost: 2,
      frameWidth: 640, frameHeight: 480, framesPerSecond: 30, framesDecoded: 90 },
    { id: 'A', type: 'inbound-rtp', kind: 'audio', timestamp: t, codecId: 'CA',
      bytesReceived: abytes, packetsReceived: 50, packetsLost: 1 },
  ]);
  const first = summarize(base(1000, 0, 0));
  assert.equal(first.bitrateKbps, null, 'no rate from a single sample');
  const s = summarize(base(2000, 125000, 8000), first);
  assert.equal(s.direction, 'inbound');
  assert.deepEqual([s.video.width, s.video.height, s.video.fps, s.video.frames], [640, 480, 30, 90]);
  assert.equal(s.video.codec, 'VP8');
  assert.equal(s.audio.codec, 'opus');
  assert.equal(s.video.bitrateKbps, 1000);
  assert.equal(s.audio.bitrateKbps, 64);
  assert.equal(s.bitrateKbps, 1064);
  assert.equal(s.rttMs, 4);
  assert.equal(s.packetsLost, 3);
  assert.deepEqual(s.candidatePair, { local: '127.0.0.1:5000 udp', remote: '127.0.0.1:6000 udp' });
  assert.equal(formatStats(s), '640x480 · 30 fps · 1064 kbit/s · RTT 4.0 ms · 3 lost');
});

test('outbound stats: loss and RTT as the far end reports them', () => {
  const s = summarize(report([
    { id: 'V', type: 'outbound-rtp', kind: 'video', timestamp: 1000, bytesSent: 5000,
      packetsSent: 10, frameWidth: 320, frameHeight: 240, framesPerSecond: 15, framesSent: 20 },
    { id: 'RV', type: 'remote-inbound-rtp', kind: 'video', timestamp: 1000,
      packetsLost: 4, roundTripTime: 0.012 },
    { id: 'A', type: 'outbound-rtp', kind: 'audio', timestamp: 1000, bytesSent: 900, packetsSent: 9 },
    // Cumulative loss goes negative when duplicates arrive: counts as none.
    { id: 'RA', type: 'remote-inbound-rtp', kind: 'audio', timestamp: 1000, packetsLost: -2 },
  ]));
  assert.equal(s.direction, 'outbound');
  assert.deepEqual([s.video.width, s.video.height, s.video.frames], [320, 240, 20]);
  assert.equal(s.audio.packetsLost, 0);
  assert.equal(s.packetsLost, 4);
  assert.equal(s.rttMs, 12);
});

test('remote control: keys as X keysyms, modifiers as nicks, points in video pixels', () => {
  assert.equal(keysym('a', 'KeyA'), 'a');
  assert.equal(keysym('Enter', 'Enter'), 'Return');
  assert.equal(keysym('ArrowLeft', 'ArrowLeft'), 'Left');
  assert.equal(keysym('Shift', 'ShiftRight'), 'Shift_R');
  assert.equal(keysym(' ', 'Space'), 'space');
  assert.equal(modifiers({ shiftKey: true, ctrlKey: true, buttons: 1 }),
      'shift-mask+control-mask+button1-mask');
  assert.equal(modifiers({}), '');
  // 640x480 element showing 320x240: scale 2, no letterbox.
  assert.deepEqual(videoPoint(320, 240, { width: 640, height: 480 }, 320, 240), { x: 160, y: 120 });
  // 640x360 element showing 4:3: pillarboxed by 80 px each side.
  assert.deepEqual(videoPoint(80, 0, { width: 640, height: 360 }, 320, 240), { x: 0, y: 0 });
  assert.equal(videoPoint(10, 10, { width: 640, height: 360 }, 320, 240), null);
  assert.equal(videoPoint(10, 10, { width: 640, height: 360 }, 0, 0), null);
  const video = { clientWidth: 640, clientHeight: 480, videoWidth: 320, videoHeight: 240 };
  assert.deepEqual(navigationEvent({ type: 'mousedown', offsetX: 2, offsetY: 4, button: 0,
    buttons: 1 }, video),
  { event: 'MouseButtonPress', x: 1, y: 2, modifier_state: 'button1-mask', button: 1 });
  assert.deepEqual(navigationEvent({ type: 'keyup', key: 'Escape', code: 'Escape' }, video),
      { event: 'KeyRelease', key: 'Escape', modifier_state: '' });
  assert.equal(navigationEvent({ type: 'focus' }, video), null);
});

test('remote control: requests numbered from 0, answers and errors counted', () => {
  const sent = [];
  const rc = new RemoteControl(new EventTarget(), (text) => sent.push(JSON.parse(text)));
  assert.equal(rc.request({ type: 'customUpstreamEvent', structureName: 'x' }), 0);
  assert.equal(rc.request({ type: 'navigationEvent', event: { event: 'TouchFrame' } }), 1);
  assert.deepEqual(sent.map((m) => m.id), [0, 1]);
  rc.handleMessage(JSON.stringify({ type: 'ControlResponseMessage', id: 0 }));
  rc.handleMessage(JSON.stringify({ type: 'ControlResponseMessage', id: 1, error: 'no' }));
  rc.handleMessage('not json');
  rc.handleMessage(JSON.stringify({ type: 'InfoMessage' }));
  assert.equal(rc.answered, 2);
  assert.deepEqual(rc.errors, ['request 1: no']);
});

// RTCPeerConnection and RTCDataChannel enough for SessionChannels.
class FakeChannel extends EventTarget {
  constructor(label, init = {}) {
    super();
    this.label = label;
    this.ordered = init.ordered !== false;
    this.maxRetransmits = init.maxRetransmits ?? null;
    this.maxPacketLifeTime = init.maxPacketLifeTime ?? null;
    this.readyState = 'connecting';
    this.sent = [];
  }

  send(data) { this.sent.push(data); }
  open() { this.readyState = 'open'; this.dispatchEvent(new Event('open')); }
  receive(data) {
    const ev = new Event('message');
    ev.data = data;
    this.dispatchEvent(ev);
  }
}
class FakePeerConnection extends EventTarget {
  constructor() { super(); this.channels = []; }
  createDataChannel(label, init) {
    const c = new FakeChannel(label, init);
    this.channels.push(c);
    return c;
  }
  peerOpens(label, init) {
    const c = new FakeChannel(label, init);
    const ev = new Event('datachannel');
    ev.channel = c;
    this.dispatchEvent(ev);
    return c;
  }
}
const fakeConn = (id) => ({ id, pc: new FakePeerConnection(), closed: false, close() { this.closed = true; } });

test('data channels: queued until open, sent once on the newest connection, reopened after a restart', () => {
  const ch = new SessionChannels(['chat']);
  const received = [];
  ch.addEventListener('message', (e) => received.push([e.detail.label, e.detail.data]));
  const c1 = fakeConn(1);
  ch.attach(c1);
  const [chat1] = c1.pc.channels;
  assert.equal(chat1.label, 'chat');
  ch.send('chat', 'early');
  assert.deepEqual(chat1.sent, []);
  chat1.open();
  assert.deepEqual(chat1.sent, ['early']);
  // The peer opens an unreliable channel: it is reopened on the next connection.
  const fast1 = c1.pc.peerOpens('fast', { ordered: false, maxRetransmits: 0 });
  fast1.open();
  fast1.receive('from the peer');
  // A restart: the new connection opens both labels; messages wait for it.
  const c2 = fakeConn(2);
  ch.attach(c2);
  assert.deepEqual(c2.pc.channels.map((c) => [c.label, c.ordered, c.maxRetransmits]),
      [['chat', true, null], ['fast', false, 0]]);
  ch.send('chat', 'during the restart');
  assert.deepEqual(chat1.sent, ['early']);
  assert.equal(ch.queued, 1);
  c2.pc.channels[0].open();
  assert.deepEqual(c2.pc.channels[0].sent, ['during the restart']);
  c1.close(); // retired
  chat1.receive('late, ignored');
  ch.send('chat', 'after');
  assert.deepEqual(c2.pc.channels[0].sent, ['during the restart', 'after']);
  assert.deepEqual(chat1.sent, ['early']);
  assert.deepEqual(received, [['fast', 'from the peer']]);
  // A failed restart: its queue goes back to the current connection.
  const c3 = fakeConn(3);
  ch.attach(c3);
  ch.send('chat', 'waits');
  assert.equal(ch.queued, 1);
  c3.close();
  assert.deepEqual(c2.pc.channels[0].sent, ['during the restart', 'after', 'waits']);
  assert.equal(ch.queued, 0);
  assert.deepEqual(ch.openLabels(), ['chat']);
});
