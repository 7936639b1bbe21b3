// gst-webrtc-session web client: one WebRTC session (one RTCPeerConnection).
//
// A ConsumerSession receives a producer's media: the producer offers, we
// answer. A ProducerSession sends our camera and microphone to one consumer:
// we offer (or answer a consumer's offer from startSession). Both trickle ICE
// both ways, relaying RTCIceCandidate.toJSON() whole, and buffer remote
// candidates that arrive before the remote description they belong to.
//
// Events (CustomEvent, payload in `detail`):
//   statechange {state}   RTCPeerConnection.connectionState, or "closed"
//   track       {stream, track}   remote media (consumer)
//   closed      {reason}

import { StatsSampler } from './stats.js';

class PeerSession extends EventTarget {
  constructor(relay, { sessionId = null, peerId, rtcConfig = {} }) {
    super();
    this.relay = relay;
    this.sessionId = sessionId;
    this.peerId = peerId; // the other side
    this.state = 'new';
    this.closed = false;
    this.stats = null;
    this.error = null;
    this._pendingIce = [];
    this._pc = null;
    this._rtcConfig = { iceServers: [], ...rtcConfig };
    this._sampler = null;
  }

  get pc() {
    return this._pc;
  }

  _createPeerConnection() {
    const pc = new RTCPeerConnection(this._rtcConfig);
    this._pc = pc;
    pc.addEventListener('icecandidate', (ev) => {
      // null / empty candidate = end of gathering; the protocol has no
      // message for it and webrtcbin does not need one.
      if (!ev.candidate || !ev.candidate.candidate || this.closed) return;
      this.relay.sendIce(this.sessionId, ev.candidate.toJSON());
    });
    pc.addEventListener('connectionstatechange', () => {
      if (this.closed) return;
      this._setState(pc.connectionState);
    });
    this._sampler = new StatsSampler(pc, (stats) => {
      this.stats = stats;
      this.dispatchEvent(new CustomEvent('stats', { detail: stats }));
    });
    this._sampler.start();
    return pc;
  }

  _setState(state) {
    if (state === this.state) return;
    this.state = state;
    this.dispatchEvent(new CustomEvent('statechange', { detail: { state } }));
  }

  // A `peer` message's `sdp` for this session.
  async handleSdp(sdp) {
    throw new Error('not implemented');
  }

  // A `peer` message's `ice` for this session.
  async handleIce(ice) {
    if (this.closed || !ice) return;
    const pc = this._pc;
    if (!pc || !pc.remoteDescription) {
      this._pendingIce.push(ice);
      return;
    }
    await this._addIce(ice);
  }

  async _addIce(ice) {
    try {
      await this._pc.addIceCandidate(ice);
    } catch (e) {
      // One bad candidate (e.g. a TCP one we cannot use) must not end the
      // session; log it for a person looking at the console.
      console.warn('addIceCandidate failed', ice, e);
    }
  }

  async _flushIce() {
    const pending = this._pendingIce;
    this._pendingIce = [];
    for (const ice of pending) await this._addIce(ice);
  }

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
    if (this._pc) this._pc.close();
    this._setState('closed');
    this.dispatchEvent(new CustomEvent('closed', { detail: { reason } }));
  }
}

// We consume a producer: startSession, then answer the producer's offer.
export class ConsumerSession extends PeerSession {
  constructor(relay, options) {
    super(relay, options);
    this.remoteStream = null;
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
    if (sdp.type !== 'offer') {
      console.warn('consumer got an unexpected', sdp.type);
      return;
    }
    try {
      const pc = this._pc || this._createConsumerPc();
      await pc.setRemoteDescription(sdp);
      await this._flushIce();
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      if (this.closed) return;
      this.relay.sendSdp(this.sessionId, pc.localDescription);
    } catch (e) {
      this._fail(e);
    }
  }

  _createConsumerPc() {
    const pc = this._createPeerConnection();
    pc.addEventListener('track', (ev) => {
      if (!this.remoteStream) {
        this.remoteStream = ev.streams[0] || new MediaStream();
      }
      if (!this.remoteStream.getTracks().includes(ev.track)) {
        this.remoteStream.addTrack(ev.track);
      }
      this.dispatchEvent(new CustomEvent('track',
          { detail: { stream: this.remoteStream, track: ev.track } }));
    });
    return pc;
  }
}

// A consumer asked for our media (startSession to us): we offer, unless the
// consumer put its own offer in startSession, in which case we answer it.
export class ProducerSession extends PeerSession {
  constructor(relay, options) {
    super(relay, options);
    this.localStream = options.stream;
  }

  async start(consumerOffer = null) {
    this._setState('negotiating');
    try {
      const pc = this._createPeerConnection();
      for (const track of this.localStream.getTracks()) {
        pc.addTrack(track, this.localStream);
      }
      if (consumerOffer) {
        await pc.setRemoteDescription({ type: 'offer', sdp: consumerOffer });
        await this._flushIce();
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
    if (sdp.type !== 'answer') {
      console.warn('producer got an unexpected', sdp.type);
      return;
    }
    try {
      await this._pc.setRemoteDescription(sdp);
      await this._flushIce();
    } catch (e) {
      this._fail(e);
    }
  }
}
