// gst-webrtc-session web client: live statistics of one RTCPeerConnection.
//
// Every `intervalMs` the sampler calls getStats() and reduces the report to
// the figures a person watching a stream cares about: resolution, frame
// rate, bitrate, round-trip time and packets lost, for the media we receive
// (inbound-rtp) or send (outbound-rtp, with the loss and RTT the far end
// reports in remote-inbound-rtp).

function kbps(bytesNow, bytesBefore, msNow, msBefore) {
  if (bytesBefore === undefined || msNow <= msBefore) return null;
  return Math.max(0, ((bytesNow - bytesBefore) * 8) / (msNow - msBefore));
}

// Reduces one RTCStatsReport. `previous` is the last result (for rates).
export function summarize(report, previous = null) {
  const byId = new Map();
  report.forEach((s) => byId.set(s.id, s));
  const out = {
    timestamp: 0,
    direction: null, // 'inbound' | 'outbound' | null before media flows
    video: null,
    audio: null,
    rttMs: null,
    bitrateKbps: null,
    packetsLost: 0,
    candidatePair: null,
    remoteCertificate: null, // { fingerprint, algorithm } the far end's DTLS
    _bytes: {}, // per stats id, for the next sample's rates
  };

  const codecOf = (s) => {
    const c = s.codecId && byId.get(s.codecId);
    return c ? c.mimeType.replace(/^(video|audio)\//, '') : null;
  };
  const rateOf = (id, bytes, ts) => {
    out._bytes[id] = { bytes, ts };
    const before = previous && previous._bytes[id];
    return before ? kbps(bytes, before.bytes, ts, before.ts) : null;
  };

  let remoteRttS = null;
  report.forEach((s) => {
    out.timestamp = Math.max(out.timestamp, s.timestamp || 0);
    if (s.type === 'inbound-rtp' || s.type === 'outbound-rtp') {
      const inbound = s.type === 'inbound-rtp';
      const bytes = inbound ? s.bytesReceived : s.bytesSent;
      const entry = {
        codec: codecOf(s),
        bitrateKbps: rateOf(s.id, bytes || 0, s.timestamp),
        bytes: bytes || 0,
        packets: (inbound ? s.packetsReceived : s.packetsSent) || 0,
        // RTCP's cumulative loss goes negative with duplicates: show 0.
        packetsLost: inbound ? Math.max(0, s.packetsLost || 0) : 0,
      };
      if (s.kind === 'video') {
        entry.width = s.frameWidth || 0;
        entry.height = s.frameHeight || 0;
        entry.fps = s.framesPerSecond ?? null;
        entry.frames = (inbound ? s.framesDecoded : s.framesSent) || 0;
      }
      // Several streams of one kind are unusual; keep the busiest.
      const slot = s.kind === 'video' ? 'video' : 'audio';
      if (!out[slot] || entry.bytes > out[slot].bytes) out[slot] = entry;
      out.direction = inbound ? 'inbound' : 'outbound';
    } else if (s.type === 'remote-inbound-rtp') {
      // What the consumer reports back about what we send.
      const lost = Math.max(0, s.packetsLost || 0);
      const slot = s.kind === 'video' ? 'video' : 'audio';
      out['_remoteLost_' + slot] = lost;
      if (typeof s.roundTripTime === 'number') remoteRttS = s.roundTripTime;
    }
  });

  // The selected candidate pair gives the ICE round-trip time.
  let pair = null;
  report.forEach((s) => {
    if (s.type === 'transport' && s.selectedCandidatePairId) {
      pair = byId.get(s.selectedCandidatePairId) || pair;
    }
  });
  if (!pair) {
    report.forEach((s) => {
      if (s.type === 'candidate-pair' && s.nominated &&
          s.state === 'succeeded') {
        pair = s;
      }
    });
  }
  if (pair) {
    const local = byId.get(pair.localCandidateId);
    const remote = byId.get(pair.remoteCandidateId);
    out.candidatePair = {
      local: local ? `${local.address || local.ip}:${local.port} ${local.protocol}` : null,
      remote: remote ? `${remote.address || remote.ip}:${remote.port} ${remote.protocol}` : null,
    };
    if (typeof pair.currentRoundTripTime === 'number') {
      out.rttMs = pair.currentRoundTripTime * 1000;
    }
  }
  if (out.rttMs === null && remoteRttS !== null) out.rttMs = remoteRttS * 1000;

  // The certificate the far end presented in the DTLS handshake (the
  // browser checked it against the far end's a=fingerprint).
  report.forEach((s) => {
    const c = s.type === 'transport' && s.remoteCertificateId &&
        byId.get(s.remoteCertificateId);
    if (c) out.remoteCertificate = { fingerprint: c.fingerprint, algorithm: c.fingerprintAlgorithm };
  });

  for (const slot of ['video', 'audio']) {
    const e = out[slot];
    if (!e) continue;
    if (out.direction === 'outbound' && out['_remoteLost_' + slot] !== undefined) {
      e.packetsLost = out['_remoteLost_' + slot];
    }
    out.packetsLost += e.packetsLost;
    if (e.bitrateKbps !== null) out.bitrateKbps = (out.bitrateKbps || 0) + e.bitrateKbps;
  }
  delete out._remoteLost_video;
  delete out._remoteLost_audio;
  return out;
}

export class StatsSampler {
  constructor(pc, onStats, intervalMs = 1000) {
    this.pc = pc;
    this.onStats = onStats;
    this.intervalMs = intervalMs;
    this.last = null;
    this._timer = null;
  }

  start() {
    this.stop();
    this._timer = setInterval(() => this.sample(), this.intervalMs);
  }

  stop() {
    clearInterval(this._timer);
    this._timer = null;
  }

  async sample() {
    if (this.pc.connectionState === 'closed') return null;
    try {
      const report = await this.pc.getStats();
      this.last = summarize(report, this.last);
      this.onStats(this.last);
      return this.last;
    } catch (e) {
      return null; // the connection closed while sampling
    }
  }
}

// "640x480 · 30 fps · 1234 kbit/s · RTT 3 ms · 0 lost"
export function formatStats(s) {
  if (!s) return '';
  const parts = [];
  if (s.video && s.video.width) {
    parts.push(`${s.video.width}x${s.video.height}`);
  }
  if (s.video && s.video.fps !== null && s.video.fps !== undefined) {
    parts.push(`${Math.round(s.video.fps)} fps`);
  }
  if (s.bitrateKbps !== null) parts.push(`${Math.round(s.bitrateKbps)} kbit/s`);
  if (s.rttMs !== null) parts.push(`RTT ${s.rttMs.toFixed(1)} ms`);
  parts.push(`${s.packetsLost} lost`);
  return parts.join(' · ');
}
