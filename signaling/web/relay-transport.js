// gst-webrtc-session web client: how RelayClient reaches the relay.
//
// Two transports with one shape, so that the protocol client
// (relay-client.js) does not care which one carries its messages:
//
//   const t = new WebSocketTransport(url) | new LongPollTransport(url);
//   t.onopen = () => ...;            ready to send
//   t.onmessage = (text) => ...;     one message from the relay, in order
//   t.onclose = ({code, reason, opened}) => ...;  gone (once); opened says
//                                    whether it ever opened
//   t.open(); t.send(text); t.close();
//
// LongPollTransport speaks the relay's HTTP long-poll endpoints
// (docs/protocol.md, "Long-poll"): POST /poll, POST /poll/ID, a held
// GET /poll/ID?after=N whose numbering makes a lost GET harmless, and
// DELETE /poll/ID. It is what the page falls back to when a proxy refuses
// the WebSocket upgrade.

export class WebSocketTransport {
  constructor(url) {
    this.url = url;
    this.kind = 'websocket';
    this.onopen = null;
    this.onmessage = null;
    this.onclose = null;
    this._ws = null;
    this._opened = false;
    this._done = false;
  }

  open() {
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (e) {
      setTimeout(() => this._finish(1006, String(e)), 0);
      return;
    }
    this._ws = ws;
    ws.addEventListener('open', () => {
      this._opened = true;
      if (!this._done && this.onopen) this.onopen();
    });
    ws.addEventListener('message', (ev) => {
      this._opened = true;
      if (!this._done && this.onmessage) this.onmessage(ev.data);
    });
    ws.addEventListener('close', (ev) => this._finish(ev.code, ev.reason));
    // 'error' is always followed by 'close'.
  }

  send(text) {
    if (this._done || !this._ws || this._ws.readyState !== WebSocket.OPEN) {
      return false;
    }
    this._ws.send(text);
    return true;
  }

  close() {
    this._done = true;
    if (this._ws) this._ws.close(1000, 'client stopped');
  }

  _finish(code, reason) {
    if (this._done) return;
    this._done = true;
    if (this.onclose) this.onclose({ code, reason, opened: this._opened });
  }
}

// http(s)://host:port/prefix/poll for a ws(s)://, http(s):// or
// poll+http(s):// URL of the relay; the query (peer-id, token) is kept.
export function pollUrlFor(relayUrl) {
  const url = new URL(relayUrl.replace(/^poll\+/, ''));
  url.protocol = (url.protocol === 'wss:' || url.protocol === 'https:') ?
      'https:' : 'http:';
  url.pathname = url.pathname.replace(/\/+$/, '') + '/poll';
  return url;
}

export class LongPollTransport {
  // url: any URL pollUrlFor() takes. deadAfterMs: how long the relay may
  // leave every GET unanswered before the connection counts as lost.
  constructor(url, { deadAfterMs = 60000 } = {}) {
    this.kind = 'long-poll';
    this.url = pollUrlFor(url);
    this.deadAfterMs = deadAfterMs;
    this.onopen = null;
    this.onmessage = null;
    this.onclose = null;
    this._token = this.url.searchParams.get('token');
    this._id = null;
    this._last = 0;
    this._outgoing = [];
    this._posting = false;
    this._abort = new AbortController();
    this._opened = false;
    this._done = false;
  }

  // The URL of our connection, with the token (browsers cannot be trusted
  // to keep headers across a proxy's redirects; the relay takes ?token=).
  _connUrl(extra = {}) {
    const u = new URL(this.url);
    u.search = '';
    u.pathname += '/' + this._id;
    for (const [k, v] of Object.entries(extra)) u.searchParams.set(k, v);
    if (this._token) u.searchParams.set('token', this._token);
    return u;
  }

  async open() {
    let answer;
    try {
      const r = await fetch(this.url, {
        method: 'POST', signal: this._abort.signal, cache: 'no-store',
      });
      if (!r.ok) {
        this._finish(1006, `HTTP ${r.status} ${(await r.text()).trim()}`);
        return;
      }
      answer = await r.json();
    } catch (e) {
      this._finish(1006, String(e));
      return;
    }
    if (this._done) return;
    this._id = answer.id;
    this._holdMs = (Number(answer.hold) || 25) * 1000;
    this._opened = true;
    if (this.onopen) this.onopen();
    this._poll();
    this._flush();
  }

  async _poll() {
    let lastAnswer = Date.now();
    let failures = 0;
    while (!this._done) {
      let answer = null;
      let refused = null;
      // A GET not answered within the hold time and a margin is lost (a dead
      // TCP connection would never say so): ask again.
      const get = new AbortController();
      const onAbort = () => get.abort();
      this._abort.signal.addEventListener('abort', onAbort);
      const timer = setTimeout(() => get.abort(), this._holdMs + 10000);
      try {
        const r = await fetch(this._connUrl({ after: this._last }), {
          signal: get.signal, cache: 'no-store',
        });
        if (r.status === 200) {
          answer = await r.json();
        } else if (r.status >= 400 && r.status < 500) {
          refused = `HTTP ${r.status} ${(await r.text()).trim()}`;
        }
      } catch (e) {
        if (this._done) return;
      } finally {
        clearTimeout(timer);
        this._abort.signal.removeEventListener('abort', onAbort);
      }
      if (this._done) return;
      if (refused) {
        this._finish(1006, refused);
        return;
      }
      if (!answer || !Array.isArray(answer.messages)) {
        // A GET lost on the way: ask again for the same messages.
        if (Date.now() - lastAnswer > this.deadAfterMs) {
          this._finish(1006, 'no answer from the relay');
          return;
        }
        failures++;
        await new Promise((resolve) =>
          setTimeout(resolve, Math.min(2000, 100 * 2 ** failures)));
        continue;
      }
      failures = 0;
      lastAnswer = Date.now();
      if (answer.last !== this._last + answer.messages.length) {
        this._finish(1006, 'the relay\'s message numbers do not follow ours');
        return;
      }
      this._last = answer.last;
      for (const m of answer.messages) {
        if (this._done) return;
        if (this.onmessage) this.onmessage(JSON.stringify(m));
      }
      if (typeof answer.closed === 'string') {
        this._finish(1008, answer.closed);
        return;
      }
    }
  }

  send(text) {
    if (this._done || !this._opened) return false;
    this._outgoing.push(text);
    this._flush();
    return true;
  }

  async _flush() {
    if (this._posting || !this._outgoing.length || this._done) return;
    const batch = '[' + this._outgoing.join(',') + ']';
    this._outgoing = [];
    this._posting = true;
    try {
      const r = await fetch(this._connUrl(), {
        method: 'POST', body: batch, signal: this._abort.signal,
        headers: { 'Content-Type': 'application/json' },
      });
      if (r.status !== 204) {
        this._finish(1006, `could not send: HTTP ${r.status}`);
        return;
      }
    } catch (e) {
      this._finish(1006, `could not send: ${e}`);
      return;
    } finally {
      this._posting = false;
    }
    this._flush();
  }

  close() {
    if (this._done) return;
    this._done = true;
    this._abort.abort();
    if (this._id) {
      fetch(this._connUrl(), { method: 'DELETE', keepalive: true })
          .catch(() => {});
    }
  }

  _finish(code, reason) {
    if (this._done) return;
    this._done = true;
    this._abort.abort();
    if (this.onclose) this.onclose({ code, reason, opened: this._opened });
  }
}
