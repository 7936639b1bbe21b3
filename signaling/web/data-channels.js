// gst-webrtc-session web client: the data channels of one session, as the
// elements keep them (plugins/webrtcsession/gws-data-channels.h).
//
// A session's channels are named by label and outlive its connections: each
// new RTCPeerConnection of the session (a restart makes one) creates the
// configured labels and every label either side opened before, before its
// offer or answer. What the page sends goes to one queue per label that only
// feeds the newest connection, once its channel of that label is open: during
// a restart messages wait for the new connection instead of going out on a
// path that may be dead, and each leaves the queue once (none lost to the
// switch, none sent twice). Messages arriving on any connection's channels
// are reported.
//
// Events (CustomEvent, payload in `detail`):
//   message {label, data}   data: a string, or an ArrayBuffer
//   open / close {label, connectionId}

export class SessionChannels extends EventTarget {
  // `specs`: [{label, ordered?, maxRetransmits?, maxPacketLifeTime?}].
  constructor(specs = []) {
    super();
    this.specs = specs.map((s) => (typeof s === 'string' ? { label: s } : { ...s }));
    this._conns = []; // [{conn, channels: [RTCDataChannel]}], oldest first
    this._queue = new Map(); // label -> [data]
    this.sent = 0;
  }

  // A new connection of the session: take the peer's channels, open ours.
  attach(conn) {
    const entry = { conn, channels: [] };
    this._conns.push(entry);
    conn.pc.addEventListener('datachannel', (ev) => this._add(entry, ev.channel, true));
    for (const spec of this.specs) {
      const init = { ordered: spec.ordered !== false };
      if (spec.maxRetransmits !== undefined) init.maxRetransmits = spec.maxRetransmits;
      if (spec.maxPacketLifeTime !== undefined) init.maxPacketLifeTime = spec.maxPacketLifeTime;
      this._add(entry, conn.pc.createDataChannel(spec.label, init), false);
    }
    const close = conn.close.bind(conn);
    conn.close = () => {
      this._detach(entry);
      close();
    };
  }

  _add(entry, channel, remote) {
    channel.binaryType = 'arraybuffer';
    entry.channels.push(channel);
    if (remote && !this.specs.some((s) => s.label === channel.label)) {
      // Reopened on the next connection of the session.
      const spec = { label: channel.label, ordered: channel.ordered };
      if (channel.maxRetransmits !== null) spec.maxRetransmits = channel.maxRetransmits;
      if (channel.maxPacketLifeTime !== null) spec.maxPacketLifeTime = channel.maxPacketLifeTime;
      this.specs.push(spec);
    }
    const detail = () => ({ label: channel.label, connectionId: entry.conn.id });
    channel.addEventListener('open', () => {
      this.dispatchEvent(new CustomEvent('open', { detail: detail() }));
      this._flush(channel.label);
    });
    channel.addEventListener('close', () => {
      this.dispatchEvent(new CustomEvent('close', { detail: detail() }));
    });
    channel.addEventListener('message', (ev) => {
      if (!this._conns.includes(entry)) return;
      this.dispatchEvent(new CustomEvent('message',
          { detail: { label: channel.label, data: ev.data, channel } }));
    });
    if (channel.readyState === 'open') this._flush(channel.label);
  }

  _detach(entry) {
    const i = this._conns.indexOf(entry);
    if (i < 0) return;
    this._conns.splice(i, 1);
    // A failed restart: what waited for it goes to the connection left.
    for (const label of this._queue.keys()) this._flush(label);
  }

  _openChannel(label) {
    const entry = this._conns[this._conns.length - 1];
    if (!entry) return null;
    return entry.channels.find((c) => c.label === label && c.readyState === 'open') || null;
  }

  // Queues `data` (string, ArrayBuffer or typed array) on `label`.
  send(label, data) {
    if (!this._queue.has(label)) this._queue.set(label, []);
    this._queue.get(label).push(data);
    this._flush(label);
  }

  _flush(label) {
    const queue = this._queue.get(label);
    const channel = this._openChannel(label);
    if (!queue || !channel) return;
    while (queue.length) {
      channel.send(queue.shift());
      this.sent++;
    }
  }

  // Labels with an open channel on the newest connection.
  openLabels() {
    const entry = this._conns[this._conns.length - 1];
    if (!entry) return [];
    return [...new Set(entry.channels.filter((c) => c.readyState === 'open')
        .map((c) => c.label))];
  }

  get queued() {
    let n = 0;
    for (const q of this._queue.values()) n += q.length;
    return n;
  }
}
