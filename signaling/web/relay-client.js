// gst-webrtc-session web client: the relay protocol client.
//
// One connection to gst-webrtc-relay speaking the default signalling protocol
// (docs/protocol.md): welcome, setPeerStatus, peerStatusChanged, list,
// startSession, sessionStarted, peer, endSession, error. It owns the
// connection's life: it registers the roles the application asked for, counts
// itself ready only when the relay announces those roles back for its own id
// (as gstwebrtc-api does), then lists the producers. When the socket closes it
// reconnects with exponential backoff and registers again.
//
// The connection is a WebSocket, or HTTP long-poll (relay-transport.js) for
// networks whose proxies refuse WebSocket upgrades: a ws(s):// WebSocket
// that cannot open is tried again at once over long-poll at the same
// address, and long-poll stays in use while it works. A poll+http(s):// URL
// asks for long-poll from the start. `transport` says which one is in use.
//
// Events (all CustomEvent, payload in `detail`):
//   statechange  {state, previous}   state: connecting | registering | ready
//                                    | disconnected | stopped
//   message      the parsed JSON message, for every message from the relay
//   ready        {peerId}            registered; the producer list follows
//   disconnected {code, reason, retryInMs}

import { LongPollTransport, WebSocketTransport } from './relay-transport.js';

export const RelayState = Object.freeze({
  CONNECTING: 'connecting',
  REGISTERING: 'registering',
  READY: 'ready',
  DISCONNECTED: 'disconnected',
  STOPPED: 'stopped',
});

function sameRoles(a, b) {
  const x = [...(a || [])].sort();
  const y = [...(b || [])].sort();
  return x.length === y.length && x.every((r, i) => r === y[i]);
}

export class RelayClient extends EventTarget {
  // url: ws:// or wss:// URL of the relay (a ?peer-id= in it claims an id).
  // backoff: first and largest delay between reconnection attempts, in ms.
  constructor(url, { initialBackoffMs = 250, maxBackoffMs = 5000 } = {}) {
    super();
    this.url = url;
    this.initialBackoffMs = initialBackoffMs;
    this.maxBackoffMs = maxBackoffMs;
    this.state = RelayState.STOPPED;
    this.peerId = null;
    this.roles = ['listener'];
    this.meta = null;
    this.connectCount = 0; // sockets that reached "ready"
    this.lastError = null;
    this._ws = null; // the transport (relay-transport.js) of this connection
    this._usePoll = /^poll\+/.test(url);
    this._pollOnly = this._usePoll;
    this.transport = null; // 'websocket' | 'long-poll', once connecting
    this._attempt = 0;
    this._retryTimer = null;
    this._stopped = true;
    this._socketReady = false;
  }

  start() {
    this._stopped = false;
    if (!this._ws && !this._retryTimer) this._open();
  }

  stop() {
    this._stopped = true;
    clearTimeout(this._retryTimer);
    this._retryTimer = null;
    if (this._ws) {
      const ws = this._ws;
      this._ws = null;
      ws.close();
    }
    this._setState(RelayState.STOPPED);
  }

  get ready() {
    return this.state === RelayState.READY;
  }

  // The roles (and meta) this client wants; re-sent after every reconnect.
  // "ready" is reached again once the relay confirms them.
  setRoles(roles, meta = null) {
    this.roles = [...roles];
    this.meta = meta;
    if (this._ws && this.peerId &&
        (this.state === RelayState.READY ||
         this.state === RelayState.REGISTERING)) {
      this._setState(RelayState.REGISTERING);
      this._register();
    }
  }

  send(message) {
    if (!this._ws) return false;
    return this._ws.send(JSON.stringify(message));
  }

  list() {
    return this.send({ type: 'list' });
  }

  // Asks to consume `peerId`; the relay answers sessionStarted.
  startSession(peerId, offer = undefined) {
    const msg = { type: 'startSession', peerId };
    if (offer) msg.offer = offer;
    return this.send(msg);
  }

  sendSdp(sessionId, description) {
    return this.send({
      type: 'peer',
      sessionId,
      sdp: { type: description.type, sdp: description.sdp },
    });
  }

  // `candidate` is an RTCIceCandidate's toJSON(): relayed whole.
  sendIce(sessionId, candidate) {
    return this.send({ type: 'peer', sessionId, ice: candidate });
  }

  endSession(sessionId) {
    return this.send({ type: 'endSession', sessionId });
  }

  _setState(state) {
    if (state === this.state) return;
    const previous = this.state;
    this.state = state;
    this.dispatchEvent(
        new CustomEvent('statechange', { detail: { state, previous } }));
  }

  _register() {
    this.send({ type: 'setPeerStatus', roles: this.roles, meta: this.meta });
  }

  _open() {
    this._retryTimer = null;
    this.peerId = null;
    this._socketReady = false;
    this._setState(RelayState.CONNECTING);
    const ws = this._usePoll ? new LongPollTransport(this.url) :
                               new WebSocketTransport(this.url);
    this._ws = ws;
    this.transport = ws.kind;
    ws.onmessage = (text) => {
      if (this._ws !== ws) return;
      let msg;
      try {
        msg = JSON.parse(text);
      } catch (e) {
        console.warn('relay sent invalid JSON', text);
        return;
      }
      if (!msg || typeof msg.type !== 'string') return;
      this._handle(msg);
    };
    ws.onclose = ({ code, reason, opened }) => {
      if (this._ws !== ws) return;
      this._ws = null;
      this.peerId = null;
      if (!opened && !this._stopped && !this._pollOnly) {
        if (ws.kind === 'websocket') {
          // A proxy may refuse the upgrade: try long-poll right away.
          console.warn(`WebSocket to ${this.url} did not open (${code}` +
              `${reason ? ': ' + reason : ''}); trying HTTP long-poll`);
          this._usePoll = true;
          this._open();
          return;
        }
        this._usePoll = false; // neither works: start over with WebSocket
      }
      this.lastError = reason || this.lastError;
      this._scheduleRetry(code, reason);
    };
    ws.open();
  }

  _scheduleRetry(code, reason) {
    if (this._stopped) {
      this._setState(RelayState.STOPPED);
      return;
    }
    const base = Math.min(this.maxBackoffMs,
        this.initialBackoffMs * 2 ** Math.min(this._attempt, 16));
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    this._attempt++;
    this._setState(RelayState.DISCONNECTED);
    this.dispatchEvent(new CustomEvent('disconnected',
        { detail: { code, reason, retryInMs: delay } }));
    this._retryTimer = setTimeout(() => this._open(), delay);
  }

  _handle(msg) {
    switch (msg.type) {
      case 'welcome':
        this.peerId = msg.peerId;
        this._setState(RelayState.REGISTERING);
        this._register();
        break;
      case 'peerStatusChanged':
        if (msg.peerId === this.peerId && this.state !== RelayState.READY &&
            sameRoles(msg.roles, this.roles)) {
          this._attempt = 0;
          if (!this._socketReady) this.connectCount++;
          this._socketReady = true;
          this._setState(RelayState.READY);
          this.dispatchEvent(
              new CustomEvent('ready', { detail: { peerId: this.peerId } }));
          this.list();
        }
        break;
      case 'error':
        this.lastError = msg.details;
        console.warn('relay error:', msg.details);
        break;
    }
    this.dispatchEvent(new CustomEvent('message', { detail: msg }));
  }
}

// The relay's WebSocket URL for a page served by the relay itself: same host
// and port, ws:// for http:// and wss:// for https://. The page's own
// ?peer-id= (a stable id to claim) and ?token= are passed on; ?relay=URL
// overrides the whole thing.
export function relayUrlFor(location) {
  const params = new URLSearchParams(location.search);
  const override = params.get('relay');
  const url = new URL(override ||
      `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/`);
  for (const name of ['peer-id', 'token']) {
    const value = params.get(name);
    if (value && !url.searchParams.has(name)) url.searchParams.set(name, value);
  }
  return url.toString();
}
