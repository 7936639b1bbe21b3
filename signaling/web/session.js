// gst-webrtc-session web client: one WebRTC session with one peer.
//
// A ConsumerSession receives a producer's media: the producer offers, we
// answer. A ProducerSession sends our camera and microphone to one consumer:
// we offer (or answer a consumer's offer from startSession). Both trickle ICE
// both ways, relaying RTCIceCandidate.toJSON() whole, and buffer remote
// candidates that arrive before the remote description they belong to.
//
// Session restart (docs/protocol.md, issue 7): a session outlives its
// RTCPeerConnection. A restart is a new offer inside the same session, made
// by a brand-new RTCPeerConnection (a "connection" below: new ICE
// credentials, DTLS certificate use and SSRCs), sent as an ordinary `peer`
// message; either side may make it, and an offer arriving in a session whose
// connection already has a remote description is one. The old connection
// keeps carrying media until the new one does (make before break):
//   - the receiving side (consumer) switches its output to the new
//     connection when it has decoded its first frame, then closes the old;
//   - the sending side (producer) switches once the new connection is
//     connected and has received RTCP, and closes the old one 1 s later.
// Glare (both sides offer at once): the producer's offer wins; a consumer
// drops its own attempt and answers, a producer ignores the consumer's offer.
// Candidates that arrive after a restart offer was sent or received belong
// to the new connection (or to the connection whose remote ICE ufrag they
// name, when they carry one).
// Dead path: no packet for pathTimeoutMs (RTP at a consumer; RTCP at a
// producer, at least 2.5 s since browsers send RTCP about once a second, and
// 2.5x the longest of the last 8 gaps between RTCP packets), or
// ICE "disconnected"/"failed" = path lost -> restart when autoRestart. At
// most one attempt per second, the interval doubling after each failed
// attempt (no media on the new connection within 10 s); after
// maxRestartFailures consecutive failures the session ends with an error.
//
// Events (CustomEvent, payload in `detail`):
//   statechange {state}   the current connection's connectionState, or "closed"
//   track       {stream, track}   remote media (consumer); after a restart,
//               the new connection's stream (emitted when it is switched to)
//   stats       the current connection's summarised getStats()
//   restart     {phase: "started"|"switched"|"failed"|"pathlost"|"gaveup",
//               reason, attempt, restarts, switchMs, silenceMs}
//   closed      {reason}
//
// Data channels: `session.channels` (data-channels.js) keeps the session's
// channels across its connections; option `dataChannels` lists labels to
// open on every connection (the peer's channels are taken too).

import { SessionChannels } from './data-channels.js';
import { answerRenegotiation, isRenegotiation } from './renegotiation.js';
import { StatsSampler } from './stats.js';

const WATCH_INTERVAL_MS = 250;
const SENDER_MIN_TIMEOUT_MS = 2500; // 2.5x a browser's ~1 s RTCP spacing
const SENDER_MAX_TIMEOUT_MS = 15000;
const MEDIA_TIMEOUT_MS = 10000; // a new connection must carry media by then
const PRODUCER_RETIRE_MS = 1000; // the sender keeps the old one this long
const PRODUCER_RTCP_GRACE_MS = 3000; // connected without RTCP: switch anyway

function iceUfrag(description) {
  const m = description && /^a=ice-ufrag:(\S+)/m.exec(description.sdp || '');
  return m ? m[1] : null;
}

// One RTCPeerConnection of a session, with the remote candidates it waits for.
class Connection {
  constructor(id, pc, origin) {
    this.id = id; // 1, 2, 3... within the session
    this.pc = pc;
    this.origin = origin; // 'initial' | 'local' (we offered a restart) | 'remote'
    this.pendingIce = [];
    this.stream = null; // consumer: the remote media of this connection
    this.everConnected = false;
    this.connectedAt = 0;
    this.createdAt = performance.now();
    this.closed = false;
  }

  get remoteUfrag() {
    return iceUfrag(this.pc.remoteDescription);
  }

  get localUfrag() {
    return iceUfrag(this.pc.localDescription);
  }

  async addIce(ice) {
    if (this.closed) return;
    if (!this.pc.remoteDescription) {
      this.pendingIce.push(ice);
      return;
    }
    try {
      await this.pc.addIceCandidate(ice);
    } catch (e) {
      // One bad candidate (a TCP one we cannot use, or one of a connection
      // given up in glare) must not end the session; log it for a person
      // looking at the console.
      console.warn('addIceCandidate failed', ice, e);
    }
  }

  async flushIce() {
    const pending = this.pendingIce;
    this.pendingIce = [];
    for (const ice of pending) await this.addIce(ice);
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    this.pc.close();
  }
}

class PeerSession extends EventTarget {
  constructor(relay, {
    sessionId = null, peerId, rtcConfig = {}, autoRestart = true,
    pathTimeoutMs = 1000, maxRestartFailures = 3, dataChannels = [],
  }) {
    super();
    this.channels = new SessionChannels(dataChannels);
    this.relay = relay;
    this.sessionId = sessionId;
    this.peerId = peerId; // the other side
    this.role = 'consumer';
    this.state = 'new';
    this.closed = false;
    this.stats = null;
    this.error = null;
    // Restart configuration and state.
    this.autoRestart = autoRestart;
    this.pathTimeoutMs = pathTimeoutMs; // 0: no dead-path detection
    this.maxRestartFailures = maxRestartFailures;
    this.restarts = 0; // completed switches to a new connection
    this.restartAttempts = 0; // restarts we started
    this.restartFailures = 0; // consecutive failed attempts of ours
    this.pathState = 'ok'; // ok | lost | restarting | failed
    this.glare = 0; // offers that crossed ours
    this.lastSwitchMs = null; // restart start -> switch, last restart
    this.lastRestartReason = null;
    this.silenceMs = 0; // age of the last received packet
    this._rtcConfig = { iceServers: [], ...rtcConfig };
    this._conns = 0; // connection ids handed out
    this._current = null; // the Connection whose media is used
    this._next = null; // a restart's new Connection, until switched to
    this._nextStartedAt = 0;
    this._iceTarget = null; // where candidates without a known ufrag go
    this._earlyIce = []; // candidates before any connection exists
    this._sampler = null;
    this._watchTimer = null;
    this._lastRx = null; // watchdog: last received-packets signature
    this._lastRxAt = 0;
    this._rxGaps = []; // recent intervals between received packets (ms)
    this._lastAttemptAt = -Infinity;
    this._retryTimer = null;
  }

  // The current connection's RTCPeerConnection.
  get pc() {
    return this._current ? this._current.pc : null;
  }

  // Id (1, 2, ...) of the current connection, and the ICE ufrags of both
  // ends of it: a restart changes all three.
  get connectionId() {
    return this._current ? this._current.id : 0;
  }

  get localUfrag() {
    return this._current ? this._current.localUfrag : null;
  }

  get remoteUfrag() {
    return this._current ? this._current.remoteUfrag : null;
  }

  // Open RTCPeerConnections of this session (1, or 2 during a restart).
  get openConnections() {
    return [this._current, this._next, ...(this._retiring || [])]
        .filter((c) => c && !c.closed).length;
  }

  get restarting() {
    return !!this._next;
  }

  // A snapshot of the restart state for the UI and tests.
  restartInfo() {
    return {
      connectionId: this.connectionId,
      // who offered the current connection: initial | local | remote
      connectionOrigin: this._current ? this._current.origin : null,
      localUfrag: this.localUfrag,
      remoteUfrag: this.remoteUfrag,
      openConnections: this.openConnections,
      restarts: this.restarts,
      restartAttempts: this.restartAttempts,
      restartFailures: this.restartFailures,
      pathState: this.pathState,
      restarting: this.restarting,
      glare: this.glare,
      lastSwitchMs: this.lastSwitchMs,
      lastRestartReason: this.lastRestartReason,
      silenceMs: this.silenceMs,
    };
  }

  // ---- connections ---------------------------------------------------------

  _newConnection(origin) {
    const pc = new RTCPeerConnection(this._rtcConfig);
    const conn = new Connection(++this._conns, pc, origin);
    pc.addEventListener('icecandidate', (ev) => {
      // null / empty candidate = end of gathering; the protocol has no
      // message for it and webrtcbin does not need one.
      if (!ev.candidate || !ev.candidate.candidate || this.closed || conn.closed) return;
      this.relay.sendIce(this.sessionId, ev.candidate.toJSON());
    });
    pc.addEventListener('connectionstatechange', () => {
      if (this.closed || conn.closed) return;
      this._connectionState(conn, pc.connectionState);
    });
    pc.addEventListener('iceconnectionstatechange', () => {
      if (this.closed || conn.closed || conn !== this._current) return;
      if (pc.iceConnectionState === 'disconnected' && conn.everConnected) {
        this._pathLost('ice-disconnected');
      }
    });
    this._setupConnection(conn);
    this.channels.attach(conn);
    return conn;
  }

  // Subclasses: tracks and media handlers of a new connection.
  _setupConnection(conn) {}

  // Subclasses: whether `conn` carries media (the switch condition).
  async _carriesMedia(conn) {
    return false;
  }

  // Subclasses: what to do when a new connection becomes the current one.
  _switched(conn) {}

  _connectionState(conn, state) {
    if (state === 'connected' && !conn.everConnected) {
      conn.everConnected = true;
      conn.connectedAt = performance.now();
    }
    if (conn === this._current) {
      if (state === 'failed' && conn.everConnected && this.autoRestart &&
          this.pathTimeoutMs > 0) {
        // A connection that worked and failed: restart, do not give up.
        this._pathLost('ice-failed');
        return;
      }
      if (this._next && (state === 'failed' || state === 'closed')) return;
      this._setState(state);
    } else if (conn === this._next) {
      if (state === 'failed') this._restartFailed('the new connection failed');
    }
    // A retiring connection's states do not matter any more.
  }

  _makeCurrent(conn) {
    this._current = conn;
    if (this._sampler) this._sampler.stop();
    this._sampler = new StatsSampler(conn.pc, (stats) => {
      if (conn !== this._current) return;
      stats.connectionId = conn.id;
      this.stats = stats;
      this.dispatchEvent(new CustomEvent('stats', { detail: stats }));
    });
    this._sampler.start();
    this._lastRx = null;
    this._lastRxAt = performance.now();
    this._rxGaps = [];
    this._startWatch();
  }

  _setState(state) {
    if (state === this.state) return;
    this.state = state;
    this.dispatchEvent(new CustomEvent('statechange', { detail: { state } }));
  }

  _restartEvent(phase, extra = {}) {
    console.info(`session ${this.sessionId}: restart ${phase}`, JSON.stringify(extra));
    this.dispatchEvent(new CustomEvent('restart', {
      detail: { phase, restarts: this.restarts, attempt: this.restartAttempts,
        ...extra },
    }));
  }

  // ---- signalling ------------------------------------------------------------

  // A `peer` message's `sdp` for this session.
  async handleSdp(sdp) {
    throw new Error('not implemented');
  }

  // A `peer` message's `ice` for this session.
  async handleIce(ice) {
    if (this.closed || !ice) return;
    let conn = null;
    if (ice.usernameFragment) {
      conn = [this._next, this._current].find((c) => c && !c.closed &&
          c.remoteUfrag === ice.usernameFragment) || null;
    }
    if (!conn) conn = this._iceTarget;
    if (!conn) {
      this._earlyIce.push(ice);
      return;
    }
    await conn.addIce(ice);
  }

  _takeEarlyIce(conn) {
    conn.pendingIce.push(...this._earlyIce);
    this._earlyIce = [];
  }

  // An offer that arrived while the current connection has a remote
  // description: the other side restarts. Answer it on a new connection.
  async _answerRestart(sdp) {
    if (this._next) {
      // Ours (glare, the producer won) or an older remote attempt.
      if (this._next.origin === 'local') this.glare++;
      this._dropNext();
    }
    const conn = this._newConnection('remote');
    this._next = conn;
    this._nextStartedAt = performance.now();
    this._iceTarget = conn; // what follows the offer belongs to it
    this.pathState = 'restarting';
    this.lastRestartReason = 'remote';
    this._restartEvent('started', { reason: 'remote' });
    try {
      await conn.pc.setRemoteDescription(sdp);
      await conn.flushIce();
      await conn.pc.setLocalDescription(await conn.pc.createAnswer());
      if (this.closed || conn !== this._next) return;
      this.relay.sendSdp(this.sessionId, conn.pc.localDescription);
      this._awaitMedia(conn);
    } catch (e) {
      console.warn(`session ${this.sessionId}: answering a restart failed`, e);
      if (conn === this._next) this._dropNext();
    }
  }

  // An answer: to our restart offer, or to our first offer.
  async _applyAnswer(sdp) {
    const conn = [this._next, this._current].find((c) => c && !c.closed &&
        c.pc.signalingState === 'have-local-offer');
    if (!conn) {
      console.warn(`session ${this.sessionId}: an answer nobody waits for`);
      return;
    }
    try {
      await conn.pc.setRemoteDescription(sdp);
      await conn.flushIce();
    } catch (e) {
      if (conn === this._current) this._fail(e);
      else this._restartFailed(`the answer was refused: ${e.message || e}`);
    }
  }

  // ---- restart -----------------------------------------------------------------

  // Starts a restart now: a new connection offers in this session. Returns
  // false when none can start (no working session yet, one in progress, or
  // less than the rate limit since the last attempt).
  restart(reason = 'requested') {
    if (this.closed || !this._current || !this._current.pc.remoteDescription ||
        !this.sessionId || this._next) {
      return false;
    }
    const wait = this._lastAttemptAt + this._minIntervalMs() - performance.now();
    if (wait > 0) return false;
    this._startRestart(reason);
    return true;
  }

  _minIntervalMs() {
    return 1000 * 2 ** Math.min(this.restartFailures, 10);
  }

  async _startRestart(reason) {
    clearTimeout(this._retryTimer);
    this._retryTimer = null;
    this._lastAttemptAt = performance.now();
    this.restartAttempts++;
    this.pathState = 'restarting';
    this.lastRestartReason = reason;
    const conn = this._newConnection('local');
    this._next = conn;
    this._nextStartedAt = performance.now();
    this._restartEvent('started', { reason });
    try {
      this._prepareOffer(conn);
      await conn.pc.setLocalDescription(await conn.pc.createOffer());
      // Glare: the producer's offer may have replaced ours meanwhile.
      if (this.closed || conn !== this._next) return;
      this._iceTarget = conn;
      this.relay.sendSdp(this.sessionId, conn.pc.localDescription);
      this._awaitMedia(conn);
    } catch (e) {
      if (conn === this._next) this._restartFailed(`offer: ${e.message || e}`);
    }
  }

  // Subclasses: transceivers and tracks of a restart offer.
  _prepareOffer(conn) {}

  // Polls `conn` until it carries media (switch to it) or the time is up.
  _awaitMedia(conn) {
    const deadline = performance.now() + MEDIA_TIMEOUT_MS;
    const poll = async () => {
      if (this.closed || conn !== this._next) return;
      let ok = false;
      try {
        ok = await this._carriesMedia(conn);
      } catch {
        ok = false;
      }
      if (this.closed || conn !== this._next) return;
      if (ok) {
        this._switchTo(conn);
      } else if (performance.now() > deadline) {
        this._restartFailed('no media on the new connection within ' +
            `${MEDIA_TIMEOUT_MS / 1000} s`);
      } else {
        setTimeout(poll, 50);
      }
    };
    setTimeout(poll, 50);
  }

  _switchTo(conn) {
    const old = this._current;
    this._next = null;
    this.restarts++;
    this.lastSwitchMs = Math.round(performance.now() - this._nextStartedAt);
    this.restartFailures = 0;
    this.pathState = 'ok';
    this.silenceMs = 0;
    this._makeCurrent(conn);
    this._switched(conn);
    this._setState(conn.pc.connectionState);
    if (old) this._retire(old);
    this._restartEvent('switched', { switchMs: this.lastSwitchMs,
      connectionId: conn.id });
  }

  // Closes a connection that was switched away from.
  _retire(conn) {
    conn.close();
  }

  _dropNext() {
    const conn = this._next;
    this._next = null;
    if (this._iceTarget === conn) this._iceTarget = this._current;
    if (conn) conn.close();
    if (this.pathState === 'restarting') {
      this.pathState = this._pathIsLost() ? 'lost' : 'ok';
    }
  }

  _restartFailed(reason) {
    const conn = this._next;
    if (!conn) return;
    const ours = conn.origin === 'local';
    this._dropNext();
    if (!ours) return; // the side that started it counts its failures
    this.restartFailures++;
    this._restartEvent('failed', { reason, failures: this.restartFailures });
    console.warn(`session ${this.sessionId}: restart attempt ` +
        `${this.restartFailures} failed: ${reason}`);
    if (this.restartFailures >= this.maxRestartFailures) {
      this.pathState = 'failed';
      const msg = `the connection could not be restarted (${this.restartFailures} ` +
          `failed attempts; last: ${reason})`;
      this._restartEvent('gaveup', { reason: msg });
      this._fail(new Error(msg));
      return;
    }
    if (this.autoRestart && this._pathIsLost()) this._scheduleRestart('path-lost');
  }

  // ---- dead-path detection -------------------------------------------------

  _pathIsLost() {
    return this.pathState === 'lost' || (this.pathState === 'restarting' &&
        this.silenceMs >= this._timeoutMs());
  }

  // A sender hears only RTCP: browsers send it about once a second, other
  // peers (webrtcbin) may space it more; wait 2.5x the longest recent gap.
  _timeoutMs() {
    if (this.role !== 'producer') return this.pathTimeoutMs;
    const gap = this._rxGaps.length ? Math.max(...this._rxGaps) : 0;
    return Math.min(SENDER_MAX_TIMEOUT_MS,
        Math.max(this.pathTimeoutMs, SENDER_MIN_TIMEOUT_MS, 2.5 * gap));
  }

  _startWatch() {
    if (this._watchTimer || this.pathTimeoutMs <= 0) return;
    this._watchTimer = setInterval(() => this._watch(), WATCH_INTERVAL_MS);
  }

  // Subclasses: a value that changes whenever a packet arrives on `pc`.
  _rxSignature(report) {
    return null;
  }

  async _watch() {
    const conn = this._current;
    if (this.closed || !conn || !conn.everConnected) return;
    let report;
    try {
      report = await conn.pc.getStats();
    } catch {
      return;
    }
    if (this.closed || conn !== this._current) return;
    const sig = this._rxSignature(report);
    const now = performance.now();
    if (sig === null) return; // nothing received yet: nothing to lose
    if (sig !== this._lastRx) {
      if (this._lastRx !== null) {
        this._rxGaps.push(now - this._lastRxAt);
        if (this._rxGaps.length > 8) this._rxGaps.shift();
      }
      this._lastRx = sig;
      this._lastRxAt = now;
      this.silenceMs = 0;
      if (this.pathState === 'lost') this.pathState = 'ok';
      return;
    }
    this.silenceMs = Math.round(now - this._lastRxAt);
    if (this.silenceMs >= this._timeoutMs()) this._pathLost('path-lost');
  }

  _pathLost(why) {
    if (this.closed) return;
    if (this.pathState === 'ok') {
      this.pathState = 'lost';
      this._restartEvent('pathlost', { reason: why, silenceMs: this.silenceMs });
    }
    if (this.autoRestart && !this._next) this._scheduleRestart('path-lost');
  }

  _scheduleRestart(reason) {
    if (this._retryTimer || this._next || this.closed) return;
    const wait = Math.max(0,
        this._lastAttemptAt + this._minIntervalMs() - performance.now());
    this._retryTimer = setTimeout(() => {
      this._retryTimer = null;
      if (this.closed || this._next || !this._pathIsLost()) return;
      this._startRestart(reason);
    }, wait);
  }

  // ---- end ---------------------------------------------------------------

  _fail(e) {
    console.error(`session ${this.sessionId} failed`, e);
    this.error = String(e && e.message ? e.message : e);
    if (this.sessionId) this.relay.endSession(this.sessionId);
    this.close(this.error);
  }

  // Ends the session locally. `notifyRelay`: send endSession (when we are
  // the side that ends it).
  close(reason = 'closed', { notifyRelay = false } = {}) {
    if (this.closed) return;
    this.closed = true;
    if (notifyRelay && this.sessionId) this.relay.endSession(this.sessionId);
    if (this._sampler) this._sampler.stop();
    clearInterval(this._watchTimer);
    clearTimeout(this._retryTimer);
    for (const c of [this._current, this._next, ...(this._retiring || [])]) {
      if (c) c.close();
    }
    this._setState('closed');
    this.dispatchEvent(new CustomEvent('closed', { detail: { reason } }));
  }
}

// We consume a producer: startSession, then answer the producer's offer.
export class ConsumerSession extends PeerSession {
  // `options.localStream`: a call (docs/calls.md): the producer's sendrecv
  // m-lines get these tracks back, one per kind, in order.
  constructor(relay, options) {
    super(relay, options);
    this.role = 'consumer';
    this.remoteStream = null;
    this.localStream = options.localStream || null;
  }

  // A call: our camera and microphone on the offer's m-lines of their
  // kind (sendrecv), before the answer is made. A plain offer's sendonly
  // m-lines stay recvonly: the answer cannot send on them.
  async _attachLocal(conn) {
    if (!this.localStream) return;
    const unused = [...this.localStream.getTracks()];
    for (const t of conn.pc.getTransceivers()) {
      const kind = t.receiver.track && t.receiver.track.kind;
      const i = unused.findIndex((track) => track.kind === kind);
      if (i < 0) continue;
      const [track] = unused.splice(i, 1);
      await t.sender.replaceTrack(track);
      t.sender.setStreams(this.localStream);
      t.direction = 'sendrecv';
    }
  }

  // Sends startSession; the relay's sessionStarted gives us our session id
  // (see sessionStarted()).
  start() {
    this._setState('requesting');
    if (!this.relay.startSession(this.peerId)) {
      this._fail(new Error('not connected to the relay'));
    }
  }

  sessionStarted(sessionId) {
    this.sessionId = sessionId;
    this._setState('negotiating');
  }

  async handleSdp(sdp) {
    if (this.closed) return;
    if (sdp.type === 'answer') {
      await this._applyAnswer(sdp);
      return;
    }
    if (sdp.type !== 'offer') {
      console.warn('consumer got an unexpected', sdp.type);
      return;
    }
    if (this._current) {
      if (!this._next && isRenegotiation(this._current.pc, sdp)) {
        // Streams added or removed on the same connection.
        try {
          const answer = await answerRenegotiation(this._current.pc, sdp);
          if (!this.closed) this.relay.sendSdp(this.sessionId, answer);
        } catch (e) {
          console.warn(`session ${this.sessionId}: renegotiation failed`, e);
        }
        return;
      }
      if (this._current.pc.remoteDescription) {
        await this._answerRestart(sdp);
      } else {
        console.warn('consumer: a second offer before the first was applied');
      }
      return;
    }
    const conn = this._newConnection('initial');
    this._iceTarget = conn;
    this._takeEarlyIce(conn);
    this._makeCurrent(conn);
    try {
      await conn.pc.setRemoteDescription(sdp);
      await this._attachLocal(conn);
      await conn.flushIce();
      await conn.pc.setLocalDescription(await conn.pc.createAnswer());
      if (this.closed) return;
      this.relay.sendSdp(this.sessionId, conn.pc.localDescription);
    } catch (e) {
      this._fail(e);
    }
  }

  _setupConnection(conn) {
    conn.pc.addEventListener('track', (ev) => {
      if (!conn.stream) conn.stream = ev.streams[0] || new MediaStream();
      if (!conn.stream.getTracks().includes(ev.track)) conn.stream.addTrack(ev.track);
      if (conn !== this._current) return; // shown when switched to
      this.remoteStream = conn.stream;
      this.dispatchEvent(new CustomEvent('track',
          { detail: { stream: conn.stream, track: ev.track } }));
    });
  }

  // Receive only what the current connection receives.
  _prepareOffer(conn) {
    const kinds = this._current.pc.getTransceivers()
        .map((t) => t.receiver.track && t.receiver.track.kind).filter(Boolean);
    for (const kind of (kinds.length ? kinds : ['audio', 'video'])) {
      conn.pc.addTransceiver(kind, { direction: 'recvonly' });
    }
  }

  // The first decoded video frame (or, without video, the first audio packet).
  async _carriesMedia(conn) {
    const report = await conn.pc.getStats();
    let video = false;
    let frames = 0;
    let audioPackets = 0;
    report.forEach((s) => {
      if (s.type !== 'inbound-rtp') return;
      if (s.kind === 'video') {
        video = true;
        frames += s.framesDecoded || 0;
      } else {
        audioPackets += s.packetsReceived || 0;
      }
    });
    const hasVideo = video || conn.pc.getTransceivers().some((t) =>
      t.receiver.track && t.receiver.track.kind === 'video' && t.currentDirection !== 'inactive');
    return hasVideo ? frames > 0 : audioPackets > 0;
  }

  _switched(conn) {
    if (!conn.stream) return;
    this.remoteStream = conn.stream;
    for (const track of conn.stream.getTracks()) {
      this.dispatchEvent(new CustomEvent('track',
          { detail: { stream: conn.stream, track } }));
    }
  }

  // RTP at the receiver.
  _rxSignature(report) {
    let packets = 0;
    report.forEach((s) => {
      if (s.type === 'inbound-rtp') packets += s.packetsReceived || 0;
    });
    return packets > 0 ? String(packets) : null;
  }
}

// A consumer asked for our media (startSession to us): we offer, unless the
// consumer put its own offer in startSession, in which case we answer it.
export class ProducerSession extends PeerSession {
  constructor(relay, options) {
    super(relay, options);
    this.role = 'producer';
    this.localStream = options.stream;
    this._retiring = [];
  }

  async start(consumerOffer = null) {
    this._setState('negotiating');
    const conn = this._newConnection('initial');
    this._iceTarget = conn;
    this._takeEarlyIce(conn);
    this._makeCurrent(conn);
    try {
      const pc = conn.pc;
      if (consumerOffer) {
        await pc.setRemoteDescription({ type: 'offer', sdp: consumerOffer });
        await conn.flushIce();
        await pc.setLocalDescription(await pc.createAnswer());
      } else {
        await pc.setLocalDescription(await pc.createOffer());
      }
      if (this.closed) return;
      this.relay.sendSdp(this.sessionId, pc.localDescription);
    } catch (e) {
      this._fail(e);
    }
  }

  async handleSdp(sdp) {
    if (this.closed) return;
    if (sdp.type === 'answer') {
      await this._applyAnswer(sdp);
      return;
    }
    if (sdp.type !== 'offer') {
      console.warn('producer got an unexpected', sdp.type);
      return;
    }
    if (!this._current || !this._current.pc.remoteDescription) {
      console.warn('producer: an offer before the session was negotiated');
      return;
    }
    if (this._next && this._next.origin === 'local' &&
        !this._next.pc.remoteDescription) {
      // Glare: our offer wins, the consumer answers it.
      this.glare++;
      return;
    }
    await this._answerRestart(sdp);
  }

  // Every new connection sends our tracks.
  _setupConnection(conn) {
    for (const track of this.localStream.getTracks()) {
      conn.pc.addTrack(track, this.localStream);
    }
  }

  // Connected and the consumer's RTCP arrives (or connected for a while).
  async _carriesMedia(conn) {
    if (conn.pc.connectionState !== 'connected' || !conn.everConnected) return false;
    if (performance.now() - conn.connectedAt > PRODUCER_RTCP_GRACE_MS) return true;
    const report = await conn.pc.getStats();
    let rtcp = false;
    report.forEach((s) => {
      if (s.type === 'remote-inbound-rtp') rtcp = true;
    });
    return rtcp;
  }

  // The consumer may still show the old connection's media: keep sending on
  // it for a second.
  _retire(conn) {
    this._retiring.push(conn);
    setTimeout(() => {
      conn.close();
      this._retiring = this._retiring.filter((c) => c !== conn);
    }, PRODUCER_RETIRE_MS);
  }

  // RTCP at the sender: the selected pair's received bytes (RTCP only, no
  // ICE checks) and the consumer's reports.
  _rxSignature(report) {
    let bytes = 0;
    const parts = [];
    report.forEach((s) => {
      if (s.type === 'transport' && s.selectedCandidatePairId) {
        const pair = report.get(s.selectedCandidatePairId);
        if (pair) bytes += pair.bytesReceived || 0;
      } else if (s.type === 'remote-inbound-rtp') {
        parts.push(`${s.id}:${s.timestamp}:${s.roundTripTimeMeasurements || 0}:` +
            `${s.packetsLost || 0}:${s.jitter || 0}`);
      }
    });
    if (!bytes && !parts.length) return null;
    return `${bytes}|${parts.join(',')}`;
  }
}
