// gst-webrtc-session web client: the page.
//
// Lists the relay's producers live, plays one on click, publishes this
// browser's camera and microphone, and shows connection state and stats.
// Everything the page knows is mirrored in window.gwsState (and a few data-*
// attributes on <body>) so tests can wait on it instead of guessing from
// pixels.
//
// Page URL parameters: ?peer-id=ID claim a stable peer id at the relay,
// ?name=NAME default publish name, ?token=SECRET relay access token,
// ?relay=ws://host:port/ another relay than the one serving the page,
// ?auto-restart=0 no session restart on a dead path, ?path-timeout=MS the
// silence that counts as a dead path (default 1000; 0 = no detection),
// ?data-channels=LABEL,LABEL data channels to open on every session (the
// peer's are taken too; messages are in gwsState.data, sent with
// gwsControl.sendData), ?remote-control=1 turn remote control on as soon as
// a producer offers it.

import { RelayClient, RelayState, relayUrlFor } from './relay-client.js';
import { RemoteControl } from './remote-control.js';
import { ConsumerSession, ProducerSession } from './session.js';
import { formatStats } from './stats.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const relay = new RelayClient(relayUrlFor(location));

const producers = new Map(); // peer id -> meta (object or null)
let playing = null; // { producerId, name, session }
let resumeId = null; // producer to play again after the relay came back
let failedAttempts = 0; // connection attempts that failed before the first success
const publish = { stream: null, name: null, sessions: new Map() };

// What tests (and curious people in the console) read.
const state = {
  relayUrl: relay.url,
  relayState: relay.state,
  relayTransport: null, // 'websocket' or 'long-poll' (relay-transport.js)
  peerId: null,
  connectCount: 0,
  producers: [], // [{ id, name, meta }]
  play: { state: 'idle', producerId: null, name: null, sessionId: null, call: false,
    stats: null, video: null, endedReason: null, restart: null,
    remote: { available: false, enabled: false, sent: 0, answered: 0, errors: [] } },
  // Data channel traffic of every session: channels opened, messages in.
  data: { open: [], received: [] },
  publish: { state: 'idle', name: null, sessions: [] },
  notice: null, // { kind, text, at }
  notices: [],
};
window.gwsState = state;

function displayName(id, meta) {
  return (meta && typeof meta.name === 'string' && meta.name) ? meta.name : id;
}

function notify(kind, text) {
  state.notice = { kind, text, at: Date.now() };
  state.notices.push(state.notice);
  const el = $('notice');
  el.textContent = text;
  el.dataset.kind = kind;
  el.hidden = false;
}

function clearNotice() {
  state.notice = null;
  $('notice').hidden = true;
}

// ---- rendering -------------------------------------------------------------

function renderRelay() {
  state.relayState = relay.state;
  state.relayTransport = relay.transport;
  state.peerId = relay.peerId;
  state.connectCount = relay.connectCount;
  document.body.dataset.relayState = relay.state;
  const labels = {
    connecting: 'connecting to relay…',
    registering: 'registering…',
    ready: 'connected',
    disconnected: 'relay unreachable, retrying…',
    stopped: 'stopped',
  };
  $('relay-state').textContent = labels[relay.state] || relay.state;
  $('own-id').textContent = relay.peerId ? `my id: ${relay.peerId}` : '';
  $('no-producers').textContent = relay.ready || relay.state === RelayState.REGISTERING
    ? 'No producer is publishing.' : 'Not connected to the relay.';
}

function renderProducers() {
  const list = $('producers');
  const items = [...producers].map(([id, meta]) =>
    ({ id, name: displayName(id, meta), meta }));
  items.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
  state.producers = items;
  document.body.dataset.producerCount = String(items.length);
  $('no-producers').hidden = items.length > 0;
  list.replaceChildren(...items.map((p) => {
    const li = document.createElement('li');
    li.dataset.peerId = p.id;
    li.dataset.name = p.name;
    li.title = `Play ${p.name}`;
    if (playing && playing.producerId === p.id) li.setAttribute('aria-current', 'true');
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = p.name;
    const id = document.createElement('span');
    id.className = 'id';
    id.textContent = p.id === p.name ? '' : p.id;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'play';
    button.textContent = 'Play';
    // A call: our camera and microphone go back on the same connection
    // (a webrtccall answers; a plain producer just plays, docs/calls.md).
    const call = document.createElement('button');
    call.type = 'button';
    call.className = 'call';
    call.textContent = 'Call';
    call.title = `Call ${p.name}: camera and microphone both ways`;
    call.addEventListener('click', (ev) => {
      ev.stopPropagation();
      startCall(p.id);
    });
    li.append(name, id, button, call);
    li.addEventListener('click', () => play(p.id));
    return li;
  }));
}

function renderPlayer() {
  const session = playing && playing.session;
  const s = state.play;
  s.producerId = playing ? playing.producerId : null;
  s.name = playing ? playing.name : null;
  s.sessionId = session ? session.sessionId : null;
  s.state = session ? session.state : 'idle';
  s.stats = session ? session.stats : null;
  s.restart = session ? session.restartInfo() : null;
  if (playing && playing.remote) {
    const r = playing.remote;
    Object.assign(s.remote, { enabled: r.enabled, sent: r.sent, answered: r.answered,
      errors: [...r.errors] });
  }
  const video = $('remote-video');
  s.video = playing ? {
    width: video.videoWidth,
    height: video.videoHeight,
    currentTime: video.currentTime,
    paused: video.paused,
  } : null;
  document.body.dataset.playState = s.state;
  $('player-panel').hidden = !playing;
  if (!playing) return;
  $('player-name').textContent = playing.name;
  const st = s.stats || {};
  const v = st.video || {};
  const set = (name, text) => {
    document.querySelector(`#player-stats [data-stat="${name}"]`).textContent = text;
  };
  set('state', s.state);
  set('resolution', v.width ? `${v.width}x${v.height}` : '–');
  set('fps', v.fps != null ? `${Math.round(v.fps)} fps` : '–');
  set('bitrate', st.bitrateKbps != null ? `${Math.round(st.bitrateKbps)} kbit/s` : '–');
  set('rtt', st.rttMs != null ? `${st.rttMs.toFixed(1)} ms` : '–');
  set('lost', st.video || st.audio ? String(st.packetsLost) : '–');
  set('codecs', [v.codec, st.audio && st.audio.codec].filter(Boolean).join(' + ') || '–');
  set('frames', v.frames != null ? String(v.frames) : '–');
  set('path', st.candidatePair ? `${st.candidatePair.local} ⇄ ${st.candidatePair.remote}` : '–');
  set('restarts', restartText(s.restart));
  document.body.dataset.pathState = s.restart ? s.restart.pathState : '';
  $('restart-playing').disabled = !session || session.restarting ||
      !session.pc || !session.pc.remoteDescription;
}

// "2 · connection #3 · ok", "1 · restarting…"
function restartText(r) {
  if (!r) return '–';
  const parts = [String(r.restarts)];
  if (r.connectionId) parts.push(`connection #${r.connectionId}`);
  parts.push(r.restarting ? 'restarting…' : r.pathState);
  if (r.lastSwitchMs !== null && !r.restarting) parts.push(`last switch ${r.lastSwitchMs} ms`);
  if (r.restartFailures) parts.push(`${r.restartFailures} failed`);
  return parts.join(' · ');
}

function renderPublish() {
  const p = state.publish;
  p.state = publish.stream ? (relay.ready ? 'publishing' : 'waiting for relay')
    : (p.state === 'starting' ? 'starting' : 'idle');
  p.name = publish.name;
  p.sessions = [...publish.sessions.values()].map((s) => ({
    sessionId: s.sessionId, consumerId: s.peerId, state: s.state, stats: s.stats,
    restart: s.restartInfo(),
  }));
  document.body.dataset.publishState = p.state;
  $('publish').hidden = !!publish.stream;
  $('unpublish').hidden = !publish.stream;
  $('publish-name').disabled = !!publish.stream;
  $('local-video').hidden = !publish.stream && !(playing && playing.localStream);
  $('publish-status').textContent = publish.stream
    ? `Publishing as “${publish.name}” to ${p.sessions.length} viewer(s)` : '';
  $('viewers').replaceChildren(...p.sessions.map((s) => {
    const li = document.createElement('li');
    li.dataset.sessionId = s.sessionId;
    li.dataset.pathState = s.restart.pathState;
    const text = document.createElement('span');
    text.textContent = `${s.consumerId}: ${s.state} ${formatStats(s.stats)} · ` +
        `restarts ${restartText(s.restart)}`;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'restart';
    button.textContent = 'Restart';
    button.title = 'Restart this viewer\'s connection (a new peer connection in the same session)';
    button.disabled = s.restart.restarting;
    button.addEventListener('click', () => restartSession(s.sessionId));
    li.append(text, ' ', button);
    return li;
  }));
}

// ---- playing ---------------------------------------------------------------

// Calls `producerId` with this browser's camera and microphone: the same
// consumer session as play(), whose answer sends our tracks back.
async function startCall(producerId) {
  if (playing && playing.producerId === producerId && playing.localStream) return;
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: { width: { ideal: 640 }, height: { ideal: 480 } },
      audio: true,
    });
  } catch (e) {
    notify('error', `Camera/microphone not available: ${e.message || e}`);
    return;
  }
  play(producerId, stream);
}

function play(producerId, localStream = null) {
  if (playing && playing.producerId === producerId && !playing.session.closed &&
      !localStream && !playing.localStream) return;
  stopPlaying('switched');
  resumeId = null;
  clearNotice();
  if (!relay.ready) {
    notify('error', 'Not connected to the relay.');
    return;
  }
  const name = displayName(producerId, producers.get(producerId));
  const session = new ConsumerSession(relay,
      { peerId: producerId, localStream, ...window.gwsControl.sessionOptions });
  playing = { producerId, name, session, localStream };
  state.play.call = !!localStream;
  if (localStream) {
    $('local-video').srcObject = localStream;
    $('local-video').hidden = false;
  }
  state.play.endedReason = null;
  const video = $('remote-video');
  session.addEventListener('track', (ev) => {
    if (video.srcObject !== ev.detail.stream) video.srcObject = ev.detail.stream;
    video.play().catch(() => {}); // autoplay of muted video never fails
  });
  session.addEventListener('statechange', (ev) => {
    if (ev.detail.state === 'failed') {
      endPlaying(`The connection to ${name} failed.`, 'failed', true);
      return;
    }
    renderPlayer();
  });
  session.addEventListener('stats', renderPlayer);
  session.addEventListener('restart', renderPlayer);
  watchData(session);
  const remote = new RemoteControl(video, (text) => session.channels.send('control', text));
  playing.remote = remote;
  session.channels.addEventListener('open', (ev) => {
    if (ev.detail.label !== 'control' || playing?.session !== session) return;
    state.play.remote.available = true;
    $('remote-control').disabled = false;
    if (params.get('remote-control') === '1') setRemoteControl(true);
    renderPlayer();
  });
  session.channels.addEventListener('message', (ev) => {
    if (ev.detail.label !== 'control' || typeof ev.detail.data !== 'string') return;
    remote.handleMessage(ev.detail.data);
    renderPlayer();
  });
  session.addEventListener('closed', (ev) => {
    // Closed from inside (a negotiation error): tell the person.
    if (playing && playing.session === session) {
      endPlaying(`Playing ${name} failed: ${ev.detail.reason}`, 'failed');
    }
  });
  session.start();
  renderProducers();
  renderPlayer();
}

// Ends playback with a notice; `notifyRelay` when the end is our decision.
function endPlaying(text, reason, notifyRelay = false) {
  if (!playing) return;
  stopPlaying(reason, notifyRelay);
  state.play.endedReason = reason;
  if (text) notify(reason === 'failed' ? 'error' : 'warn', text);
}

function stopPlaying(reason = 'stopped', notifyRelay = true) {
  if (!playing) return;
  const { session, remote, localStream } = playing;
  playing = null;
  if (localStream) {
    localStream.getTracks().forEach((t) => t.stop());
    if (!publish.stream) {
      $('local-video').srcObject = null;
      $('local-video').hidden = true;
    }
  }
  if (remote) remote.disable();
  $('remote-control').checked = false;
  $('remote-control').disabled = true;
  state.play.remote = { available: false, enabled: false, sent: 0, answered: 0, errors: [] };
  session.close(reason, { notifyRelay });
  const video = $('remote-video');
  video.srcObject = null;
  renderPlayer();
  renderProducers();
}

// ---- publishing ------------------------------------------------------------

async function startPublishing(name) {
  if (publish.stream) return;
  state.publish.state = 'starting';
  renderPublish();
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: { width: { ideal: 640 }, height: { ideal: 480 } },
      audio: true,
    });
  } catch (e) {
    state.publish.state = 'idle';
    notify('error', `Camera/microphone not available: ${e.message || e}`);
    renderPublish();
    return;
  }
  publish.stream = stream;
  publish.name = name;
  $('local-video').srcObject = stream;
  relay.setRoles(['listener', 'producer'], { name });
  renderPublish();
}

function stopPublishing() {
  if (!publish.stream) return;
  for (const s of publish.sessions.values()) s.close('unpublished', { notifyRelay: true });
  publish.sessions.clear();
  relay.setRoles(['listener'], null);
  publish.stream.getTracks().forEach((t) => t.stop());
  publish.stream = null;
  $('local-video').srcObject = null;
  state.publish.state = 'idle';
  renderPublish();
}

function acceptConsumer(msg) {
  if (!publish.stream) {
    relay.endSession(msg.sessionId);
    return;
  }
  const session = new ProducerSession(relay, {
    sessionId: msg.sessionId, peerId: msg.peerId, stream: publish.stream,
    ...window.gwsControl.sessionOptions,
  });
  publish.sessions.set(msg.sessionId, session);
  session.addEventListener('statechange', (ev) => {
    if (ev.detail.state === 'failed') session.close('failed', { notifyRelay: true });
    renderPublish();
  });
  session.addEventListener('closed', () => {
    publish.sessions.delete(msg.sessionId);
    renderPublish();
  });
  session.addEventListener('stats', renderPublish);
  watchData(session);
  session.addEventListener('restart', (ev) => {
    if (ev.detail.phase === 'gaveup') {
      notify('error', `Viewer ${msg.peerId}: ${ev.detail.reason}; session ended.`);
    }
    renderPublish();
  });
  session.start(msg.offer || null);
  renderPublish();
}

// Restarts one session (played or published) now: a new peer connection in
// the same session. False when it cannot start (see PeerSession.restart).
function restartSession(sessionId) {
  const session = sessionFor(sessionId);
  const ok = !!session && session.restart('requested');
  renderPlayer();
  renderPublish();
  return ok;
}

// For tests and the console: the sessions' restart control.
window.gwsControl = {
  restart: restartSession,
  // Both directions of the call (or playback) now: frames decoded and
  // audio packets received, frames and audio packets sent; null if none.
  async callStats() {
    const pc = playing && playing.session.pc;
    if (!pc) return null;
    const out = { inVideoFrames: 0, inAudioPackets: 0, outVideoFrames: 0, outAudioPackets: 0 };
    (await pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') out.inVideoFrames += s.framesDecoded || 0;
      if (s.type === 'inbound-rtp' && s.kind === 'audio') out.inAudioPackets += s.packetsReceived || 0;
      if (s.type === 'outbound-rtp' && s.kind === 'video') out.outVideoFrames += s.framesSent || 0;
      if (s.type === 'outbound-rtp' && s.kind === 'audio') out.outAudioPackets += s.packetsSent || 0;
    });
    return out;
  },
  // Restarts `sessionId` when Date.now() reaches `atMs` (two pages of one
  // browser share the clock: a way to make both sides offer at once).
  restartAt(sessionId, atMs) {
    return new Promise((resolve) => {
      setTimeout(() => resolve(restartSession(sessionId)), Math.max(0, atMs - Date.now()));
    });
  },
  // Session options (autoRestart, pathTimeoutMs, maxRestartFailures) for
  // sessions made from now on.
  sessionOptions: {},
  // Sends on data channel `label` of session `sessionId` (null: every
  // session): a string, or { bytes: n } for n bytes of the tests' pattern
  // ((i * 7 + 3) % 251). Resolves with the bytes' SHA-256 (hex), or null.
  async sendData(sessionId, label, what) {
    const data = typeof what === 'string' ? what : pattern(what.bytes);
    for (const s of window.gwsControl.sessions()) {
      if (sessionId === null || s.sessionId === sessionId) s.channels.send(label, data);
    }
    return typeof what === 'string' ? null : sha256(data);
  },
  // The remote-control object of the played session (remote-control.js).
  remote: () => (playing ? playing.remote : null),
  // The session objects (the one played, then the published ones).
  sessions: () => [playing && playing.session, ...publish.sessions.values()].filter(Boolean),
};
// ?auto-restart=0 turns dead-path restarts off, ?path-timeout=MS sets the
// silence that counts as a lost path (0: no detection).
if (params.get('auto-restart') === '0') window.gwsControl.sessionOptions.autoRestart = false;
if (params.has('path-timeout')) {
  window.gwsControl.sessionOptions.pathTimeoutMs = Number(params.get('path-timeout')) || 0;
}

if (params.get('data-channels')) {
  window.gwsControl.sessionOptions.dataChannels =
      params.get('data-channels').split(',').filter(Boolean);
}

// ---- data channels -----------------------------------------------------------

function pattern(size) {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 7 + 3) % 251;
  return out;
}

async function sha256(data) {
  const digest = await crypto.subtle.digest('SHA-256', data);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

// Records a session's channel openings and incoming messages in gwsState.
function watchData(session) {
  session.channels.addEventListener('open', (ev) => {
    state.data.open.push({ sessionId: session.sessionId, ...ev.detail });
  });
  session.channels.addEventListener('message', async (ev) => {
    const { label, data } = ev.detail;
    const entry = { sessionId: session.sessionId, label };
    if (typeof data === 'string') {
      entry.text = data;
    } else {
      entry.size = data.byteLength;
      entry.sha256 = await sha256(data);
    }
    state.data.received.push(entry);
  });
}

function setRemoteControl(on) {
  if (!playing || !playing.remote) return;
  if (on) playing.remote.enable();
  else playing.remote.disable();
  $('remote-control').checked = on;
  renderPlayer();
}

// ---- relay messages --------------------------------------------------------

function sessionFor(sessionId) {
  if (playing && playing.session.sessionId === sessionId) return playing.session;
  return publish.sessions.get(sessionId) || null;
}

function producerGone(id) {
  const wasPlaying = playing && playing.producerId === id;
  const name = displayName(id, producers.get(id));
  producers.delete(id);
  if (wasPlaying) {
    endPlaying(`${name} left: it stopped publishing.`, 'producer-left');
  } else if (state.play.endedReason === 'session-ended' && state.play.lastId === id) {
    // endSession came first (the relay ends sessions, then announces).
    state.play.endedReason = 'producer-left';
    notify('warn', `${name} left: it stopped publishing.`);
  }
  if (resumeId === id) resumeId = null;
}

relay.addEventListener('message', (ev) => {
  const msg = ev.detail;
  switch (msg.type) {
    case 'list':
      producers.clear();
      for (const p of msg.producers || []) {
        if (p.id !== relay.peerId) producers.set(p.id, p.meta ?? null);
      }
      renderProducers();
      if (resumeId && producers.has(resumeId)) play(resumeId);
      break;
    case 'peerStatusChanged': {
      if (msg.peerId === relay.peerId) break;
      const roles = msg.roles || [];
      if (roles.includes('producer')) {
        producers.set(msg.peerId, msg.meta ?? null);
        renderProducers();
        if (resumeId === msg.peerId && !playing) play(resumeId);
      } else if (producers.has(msg.peerId)) {
        producerGone(msg.peerId);
        renderProducers();
      }
      break;
    }
    case 'sessionStarted':
      if (playing && playing.producerId === msg.peerId && !playing.session.sessionId) {
        playing.session.sessionStarted(msg.sessionId);
        state.play.lastId = msg.peerId;
        renderPlayer();
      }
      break;
    case 'startSession':
      acceptConsumer(msg);
      break;
    case 'peer': {
      const session = sessionFor(msg.sessionId);
      if (!session) break;
      if (msg.sdp) session.handleSdp(msg.sdp);
      if (msg.ice) session.handleIce(msg.ice);
      break;
    }
    case 'endSession':
    case 'endSessionV1_1': {
      if (playing && playing.session.sessionId === msg.sessionId) {
        const why = msg.error ? `: ${msg.error}` : '.';
        endPlaying(`${playing.name} ended the session${why}`, 'session-ended');
      } else {
        const s = publish.sessions.get(msg.sessionId);
        if (s) s.close('ended by consumer');
      }
      break;
    }
    case 'error':
      if (playing && playing.session.state === 'requesting') {
        endPlaying(`Could not play ${playing.name}: ${msg.details}`, 'failed');
      } else {
        notify('error', `Relay: ${msg.details}`);
      }
      break;
  }
});

relay.addEventListener('statechange', (ev) => {
  const { state: now, previous } = ev.detail;
  if (now === RelayState.DISCONNECTED && previous !== RelayState.DISCONNECTED) {
    // The relay ended every session of ours when our socket went away.
    if (playing) {
      resumeId = playing.producerId;
      stopPlaying('relay-lost', false);
      state.play.endedReason = 'relay-lost';
    }
    for (const s of publish.sessions.values()) s.close('relay-lost');
    publish.sessions.clear();
    producers.clear();
    renderProducers();
    if (relay.connectCount > 0) notify('warn', 'Lost the connection to the relay; reconnecting…');
  }
  if (now === RelayState.DISCONNECTED && relay.connectCount === 0 &&
      ++failedAttempts === 3) {
    // A browser cannot see why a WebSocket upgrade failed (a 401 looks like
    // a network error), so name the likely causes.
    notify('error', `Cannot connect to the relay at ${relay.url.replace(/token=[^&]*/, 'token=…')}; ` +
        'still trying. Is it running? If it requires an access token, open this ' +
        'page with ?token=SECRET.');
  }
  if (now === RelayState.READY) {
    failedAttempts = 0;
    if (state.notice && state.notice.text.startsWith('Cannot connect to the relay')) clearNotice();
  }
  if (now === RelayState.READY && state.notice &&
      state.notice.text.startsWith('Lost the connection to the relay')) {
    notify('info', 'Reconnected to the relay.');
  }
  renderRelay();
  renderPublish();
});

// ---- controls --------------------------------------------------------------

$('stop-playing').addEventListener('click', () => {
  resumeId = null;
  stopPlaying('stopped by user');
});
$('restart-playing').addEventListener('click', () => {
  if (playing) restartSession(playing.session.sessionId);
});
$('remote-control').addEventListener('change', (ev) => setRemoteControl(ev.target.checked));
$('sound').addEventListener('change', (ev) => {
  $('remote-video').muted = !ev.target.checked;
});
$('publish-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const name = $('publish-name').value.trim() || 'browser';
  startPublishing(name);
});
$('unpublish').addEventListener('click', stopPublishing);

// The video element's own view (decoded size, progress) for tests.
const video = $('remote-video');
for (const type of ['resize', 'loadedmetadata', 'playing']) {
  video.addEventListener(type, renderPlayer);
}

$('publish-name').value = params.get('name') || `browser-${Math.random().toString(36).slice(2, 6)}`;
renderRelay();
renderProducers();
renderPlayer();
renderPublish();
relay.start();
