// The upstream gstwebrtc-api client (its own published ES module bundle,
// copied next to this page by the test) talking to our relay. Exposes
// window.compat for the test: what the library reports, and two actions,
// consume(producerId) and produce(name).
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
};
window.compat = state;

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
