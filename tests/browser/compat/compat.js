// The upstream gstwebrtc-api client (its own published ES module bundle,
// copied next to this page by the test) talking to our relay. Exposes
// window.compat for the test: what the library reports, and two actions,
// consume(producerId) and produce(name). Data channels: every channel a
// peer connection receives is recorded in compat.channels (label -> state
// and the messages, as text or as size + SHA-256); sendOn(label, text or
// {bytes: n}) sends on one. The consumer session's RemoteController (the
// producer's `control` channel) is compat.remote once there, its answers
// in compat.controlResponses.
import GstWebRTCAPI from './gstwebrtc-api.js';

const $ = (id) => document.getElementById(id);
const state = {
  connected: false,
  clientId: null,
  producers: [], // [{ id, meta }]
  consumerState: null,
  producerState: null,
  consumers: 0, // consumers of our producer session
  errors: [],
  channels: {}, // label -> { state, messages: [{ text } | { size, sha256 }] }
  remote: false,
  controlResponses: [],
};
window.compat = state;

const channelObjects = {};

async function sha256(buffer) {
  const digest = await crypto.subtle.digest('SHA-256', buffer);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function watchChannel(channel) {
  channel.binaryType = 'arraybuffer';
  const entry = { state: channel.readyState, messages: [] };
  state.channels[channel.label] = entry;
  channelObjects[channel.label] = channel;
  channel.addEventListener('open', () => { entry.state = 'open'; });
  channel.addEventListener('close', () => { entry.state = 'closed'; });
  channel.addEventListener('message', async (e) => {
    if (typeof e.data === 'string') {
      entry.messages.push({ text: e.data });
    } else {
      entry.messages.push({ size: e.data.byteLength, sha256: await sha256(e.data) });
    }
  });
}

// Every peer connection the library makes reports its data channels here
// (the library keeps ondatachannel for its RemoteController).
const NativePeerConnection = window.RTCPeerConnection;
window.RTCPeerConnection = class extends NativePeerConnection {
  constructor(...args) {
    super(...args);
    this.addEventListener('datachannel', (e) => watchChannel(e.channel));
  }
};

// The same bytes as tests/e2e/peer.py's pattern().
function pattern(size) {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 7 + 3) % 251;
  return out;
}

state.sendOn = async (label, what) => {
  const channel = channelObjects[label];
  if (!channel || channel.readyState !== 'open') throw new Error(`channel ${label} is not open`);
  if (typeof what === 'string') {
    channel.send(what);
    return null;
  }
  const bytes = pattern(what.bytes);
  channel.send(bytes);
  return sha256(bytes);
};

function log(text) {
  $('log').textContent += `${new Date().toISOString().slice(11, 23)} ${text}\n`;
}

const stateName = (s) => Object.keys(GstWebRTCAPI.SessionState)
    .find((k) => GstWebRTCAPI.SessionState[k] === s) || String(s);

const api = new GstWebRTCAPI({
  signalingServerUrl: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/`,
  reconnectionTimeout: 0,
  meta: { name: 'upstream-client' },
  // No STUN on the internet: loopback host candidates only.
  webrtcConfig: { iceServers: [], bundlePolicy: 'max-bundle' },
});

api.registerConnectionListener({
  connected(clientId) {
    state.connected = true;
    state.clientId = clientId;
    $('connection').textContent = `connected as ${clientId}`;
    log(`connected as ${clientId}`);
  },
  disconnected() {
    state.connected = false;
    $('connection').textContent = 'disconnected';
    log('disconnected');
  },
});

function renderProducers() {
  state.producers = api.getAvailableProducers().map((p) => ({ id: p.id, meta: p.meta }));
  $('producers').textContent = state.producers
      .map((p) => (p.meta && p.meta.name) || p.id).join(', ') || 'none';
}

api.registerPeerListener({
  producerAdded(p) { log(`producer added ${p.id}`); renderProducers(); },
  producerRemoved(p) { log(`producer removed ${p.id}`); renderProducers(); },
});

state.consume = (producerId) => {
  const session = api.createConsumerSession(producerId);
  if (!session) throw new Error('createConsumerSession returned null');
  session.addEventListener('error', (e) => {
    state.errors.push(e.message);
    log(`consumer error: ${e.message}`);
  });
  session.addEventListener('stateChanged', () => {
    state.consumerState = stateName(session.state);
    $('consumer-state').textContent = state.consumerState;
    log(`consumer ${state.consumerState}`);
  });
  session.addEventListener('streamsChanged', () => {
    if (session.streams.length > 0) $('remote').srcObject = session.streams[0];
  });
  session.addEventListener('remoteControllerChanged', () => {
    const rc = session.remoteController;
    state.remote = !!rc;
    log(`remote controller ${rc ? 'available' : 'gone'}`);
    if (!rc) return;
    rc.attachVideoElement($('remote'));
    rc.addEventListener('controlResponse', (e) => state.controlResponses.push(e.detail));
    rc.addEventListener('error', (e) => state.errors.push(`remote controller: ${e.message}`));
  });
  state.sendControlRequest = (request) => session.remoteController.sendControlRequest(request);
  // What the consumer's one RTCPeerConnection receives now (renegotiation
  // test): its transceivers' kinds and directions, inbound audio packets and
  // video frames decoded.
  state.inbound = async () => {
    const pc = session._rtcPeerConnection;
    if (!pc) return null;
    const out = { audioPackets: 0, videoFrames: 0, transceivers: [] };
    for (const t of pc.getTransceivers()) {
      out.transceivers.push({ kind: t.receiver.track ? t.receiver.track.kind : null,
        direction: t.currentDirection });
    }
    (await pc.getStats()).forEach((s) => {
      if (s.type !== 'inbound-rtp') return;
      if (s.kind === 'audio') out.audioPackets += s.packetsReceived || 0;
      if (s.kind === 'video') out.videoFrames += s.framesDecoded || 0;
    });
    return out;
  };
  // The first m-line's mid as the producer's offer names it.
  state.firstMid = () => {
    const m = /^a=mid:(\S+)/m.exec(session._rtcPeerConnection.remoteDescription.sdp);
    return m ? m[1] : null;
  };
  session.connect();
};

state.produce = async () => {
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { width: 640, height: 480 }, audio: true,
  });
  const session = api.createProducerSession(stream);
  if (!session) throw new Error('createProducerSession returned null');
  session.addEventListener('error', (e) => {
    state.errors.push(e.message);
    log(`producer error: ${e.message}`);
  });
  session.addEventListener('stateChanged', () => {
    state.producerState = stateName(session.state);
    $('producer-state').textContent = state.producerState;
    log(`producer ${state.producerState}`);
  });
  session.addEventListener('clientConsumerAdded', () => { state.consumers++; });
  session.addEventListener('clientConsumerRemoved', () => { state.consumers--; });
  session.start();
};
