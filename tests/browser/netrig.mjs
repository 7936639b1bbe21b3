// The network rig of tests/restart (netpaths.py) for browser tests: two
// network namespaces, sender (`snd`) and receiver (`rcv`), joined by veth
// paths A, B and S, with random UDP loss set on arrival by nftables.
//
// The relay runs in the sender namespace on path S (10.99.3.1) and serves
// the web client; Chromium runs in either namespace (playwright launches a
// wrapper that enters it with `ip netns exec`); the elements run as
// tests/restart/peer.py processes. Loss is set on every path of a side
// (UDP only: the signalling's TCP is never hit), so whichever candidate
// pair Chromium picks, each media packet, RTCP packet, NACK and
// retransmission crosses one lossy arrival.
//
// Used by tests/browser/test_loss.mjs and bench/network.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { spawn } from 'node:child_process';
import { Proc, sourceRoot, relayBin, pluginDir, webRoot, launchChromium, chromiumPath } from './harness.mjs';

const NETPATHS = path.join(sourceRoot, 'tests', 'restart', 'netpaths.py');
export const PEER = path.join(sourceRoot, 'tests', 'restart', 'peer.py');

// The topology, driven through `netpaths.py control` (one JSON line per
// command). Closing stdin deletes the namespaces and every process in them.
export class Rig {
  // `delayed`: paths (e.g. ['A', 'B', 'S']) built through the delay line
  // (tests/netcond/delayline.c, $GWS_DELAYLINE), for setDelay().
  static async create({ delayed = [] } = {}) {
    const rig = new Rig();
    const args = [NETPATHS, 'control'];
    if (delayed.length) args.push('--delayed', delayed.join(','));
    rig.child = spawn('/usr/bin/python3', args,
        { stdio: ['pipe', 'pipe', 'inherit'] });
    rig._replies = [];
    rig._waiting = [];
    rig.exited = new Promise((resolve) => rig.child.on('exit', resolve));
    readline.createInterface({ input: rig.child.stdout }).on('line', (line) => {
      const w = rig._waiting.shift();
      if (w) w(JSON.parse(line));
      else rig._replies.push(JSON.parse(line));
    });
    rig.child.on('exit', () => {
      for (const w of rig._waiting.splice(0)) w({ ok: false, error: 'netpaths.py exited' });
    });
    const hello = await rig._reply();
    if (!hello.snd) throw new Error(`netpaths.py control: ${JSON.stringify(hello)}`);
    rig.ns = { snd: hello.snd, rcv: hello.rcv };
    rig.paths = hello.paths;
    rig.wrappers = [];
    return rig;
  }

  _reply() {
    if (this._replies.length) return Promise.resolve(this._replies.shift());
    return new Promise((resolve) => this._waiting.push(resolve));
  }

  async command(line) {
    this.child.stdin.write(line + '\n');
    const r = await this._reply();
    if (!r.ok) throw new Error(`netpaths.py control: ${line}: ${r.error}`);
    return r;
  }

  // `percent` % random loss on arrival at both sides (loss both ways).
  setLoss(percent) {
    return this.command(`loss ${Math.round(percent)}`);
  }

  // Caps what the sender side sends (every path) to `kbit` kbit/s: a tbf
  // with a 100 ms queue; 0 removes the cap.
  setCap(kbit) {
    return this.command(`rate ${Math.round(kbit)} snd`);
  }

  // Holds every frame on the delayed paths `ms` (+- `jitterMs`) each way.
  setDelay(ms, jitterMs = 0) {
    return this.command(`delay ${ms} ${jitterMs}`);
  }

  // Bytes {path: [rx, tx]} of a side's veths.
  async counters(side) {
    return (await this.command(`counters ${side}`)).counters;
  }

  addr(side, p = 'A') {
    return this.paths[p][side];
  }

  argv(side, argv) {
    return ['ip', 'netns', 'exec', this.ns[side], ...argv];
  }

  // A Proc (harness.mjs) running inside a side's namespace.
  proc(name, side, command, args, opts) {
    return new Proc(name, 'ip', ['netns', 'exec', this.ns[side], command, ...args], opts);
  }

  // The relay in the sender namespace on the signalling path, serving the
  // web client. Returns { proc, port, httpUrl, wsUrl }.
  async relay(name) {
    const host = this.addr('snd', 'S');
    const proc = this.proc(name, 'snd', relayBin,
        ['--host', host, '--port', '0', '--web-root', webRoot]);
    const m = await proc.waitFor(/listening on ws:\/\/[\d.]+:(\d+)/, 10000);
    const port = Number(m[1]);
    return { proc, port, httpUrl: `http://${host}:${port}/`, wsUrl: `ws://${host}:${port}/` };
  }

  // A peer.py (tests/restart) process: webrtcsink (role 'sender', in snd)
  // or webrtcsrc ('receiver', in rcv), media on path A only. Its JSON
  // events are parsed into `proc.events` as they arrive.
  peer(name, role, { uri, size, source, props = [], latency, extra = [] }) {
    const side = role === 'sender' ? 'snd' : 'rcv';
    const args = [PEER, role, '--uri', uri, '--ice-addresses', this.addr(side, 'A')];
    if (size) args.push('--size', size);
    if (source) args.push('--source', source);
    if (latency !== undefined) args.push('--latency', String(latency));
    for (const p of props) args.push('--prop', p);
    args.push(...extra);
    const proc = this.proc(name, side, '/usr/bin/python3', args, {
      env: { GST_PLUGIN_PATH: pluginDir, GST_DEBUG_NO_COLOR: '1' }, stdin: 'pipe',
    });
    proc.events = [];
    let partial = '';
    proc.child.stdout.on('data', (chunk) => {
      partial += chunk.toString();
      const lines = partial.split('\n');
      partial = lines.pop();
      for (const line of lines) {
        try {
          const ev = JSON.parse(line);
          if (ev && typeof ev === 'object') proc.events.push(ev);
        } catch { /* not an event */ }
      }
    });
    // One request/answer on stdin (`stats`, `sdp`): resolves with the
    // events from the answer's start to `endEvent`.
    proc.ask = async (command, endEvent, timeoutMs = 10000) => {
      const from = proc.events.length;
      proc.child.stdin.write(command + '\n');
      const t0 = Date.now();
      for (;;) {
        const evs = proc.events.slice(from);
        const end = evs.findIndex((e) => e.event === endEvent);
        if (end >= 0) return evs.slice(0, end + 1);
        if (!proc.running) throw new Error(`${name} exited; see ${proc.logPath}`);
        if (Date.now() - t0 > timeoutMs) throw new Error(`${name}: no ${endEvent} answer`);
        await new Promise((r) => setTimeout(r, 50)); // polling our own event list
      }
    };
    return proc;
  }

  // Chromium (launchChromium of harness.mjs) inside a side's namespace:
  // there it gathers the veth addresses (host candidates, no mDNS names).
  // `origin` (the relay's http URL) counts as secure, or the page gets no
  // camera; the fake camera runs at 30 frames/s (its default is 20).
  async chromium(side, origin) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gws-chromium-ns-'));
    const wrapper = path.join(dir, 'chromium');
    fs.writeFileSync(wrapper,
        `#!/bin/sh\nexec ip netns exec ${this.ns[side]} ${chromiumPath} "$@"\n`, { mode: 0o755 });
    this.wrappers.push(dir);
    return launchChromium({
      executablePath: wrapper,
      extraArgs: [
        `--unsafely-treat-insecure-origin-as-secure=${new URL(origin).origin}`,
        '--use-fake-device-for-media-stream=fps=30',
      ],
    });
  }

  async close() {
    this.child.stdin.end();
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 10000))]);
    for (const d of this.wrappers) fs.rmSync(d, { recursive: true, force: true });
  }
}

// Makes the pages of `context` publish their fake camera alone, at
// `width`x`height` and 30 frames/s (the page asks for camera and
// microphone; the elements' loss counters are per session, so a
// microphone's unrepaired audio losses would count as video's).
export function cameraOnly(context, width = 320, height = 240) {
  return context.addInitScript(([w, h]) => {
    const md = navigator.mediaDevices;
    if (!md) return;
    const gum = md.getUserMedia.bind(md);
    md.getUserMedia = () => gum({ audio: false, video: { width: w, height: h, frameRate: 30 } });
  }, [width, height]);
}

// -- reading the two ends -------------------------------------------------

// The video RTP stats of the page's current session's peer connection:
// { inbound, outbound, remoteInbound, sdp: {local, remote} } (raw
// getStats() entries; undefined where there is none).
export function pageVideoStats(page) {
  return page.evaluate(async () => {
    const s = window.gwsControl.sessions()[0];
    if (!s || !s.pc) return null;
    const report = await s.pc.getStats();
    const out = { sdp: { local: s.pc.localDescription?.sdp, remote: s.pc.remoteDescription?.sdp } };
    for (const r of report.values()) {
      if (r.kind !== 'video') continue;
      if (r.type === 'inbound-rtp') out.inbound = r;
      if (r.type === 'outbound-rtp') out.outbound = r;
      if (r.type === 'remote-inbound-rtp') out.remoteInbound = r;
    }
    return JSON.parse(JSON.stringify(out));
  });
}

// Sum of a numeric field over the sessions of an element's stats text
// (the same reading as tests/netcond/run.py's stat()).
export function statField(text, name) {
  const clean = text.replace(/\\/g, '');
  const re = new RegExp(`\\b${name.replace(/-/g, '\\-')}=\\(g?u?int(?:64)?\\)(-?\\d+)`, 'g');
  let sum = 0;
  for (const m of clean.matchAll(re)) sum += Number(m[1]);
  return sum;
}

export async function elementStats(peer) {
  const evs = await peer.ask('stats', 'stats');
  return evs[evs.length - 1].text;
}

// The first webrtcbin's local and remote SDP of a peer.py element.
export async function elementSdp(peer) {
  const evs = await peer.ask('sdp', 'sdp-done');
  const s = evs.find((e) => e.event === 'sdp');
  return s ? { local: s['local-description'], remote: s['remote-description'] } : null;
}

// Freezes as browsers count them (the definition in getStats: a frame
// interval over max(3 x the average interval, average + 150 ms), the
// average over the preceding intervals), from arrival times in seconds.
// The same as tests/netcond/run.py's freezes(). Returns { count, total, longest }.
export function freezes(times) {
  let count = 0, total = 0, longest = 0;
  const recent = [];
  for (let i = 1; i < times.length; i++) {
    const gap = times[i] - times[i - 1];
    if (recent.length >= 5) {
      const avg = recent.reduce((a, b) => a + b, 0) / recent.length;
      if (gap > Math.max(3 * avg, avg + 0.150)) {
        count++;
        total += gap;
        longest = Math.max(longest, gap);
        continue;
      }
    }
    recent.push(gap);
    if (recent.length > 30) recent.shift();
  }
  return { count, total, longest };
}

// The video m-section of an SDP text, and what it negotiates for
// retransmission: { nack: [pt...], rtx: {rtxPt: apt} }.
export function videoRecovery(sdp) {
  const m = (sdp || '').match(/^m=video[\s\S]*?(?=^m=|(?![\s\S]))/m);
  const sec = m ? m[0] : '';
  const nack = [...sec.matchAll(/^a=rtcp-fb:(\d+) nack\r?$/gm)].map((x) => Number(x[1]));
  const rtxPts = new Set([...sec.matchAll(/^a=rtpmap:(\d+) rtx\/90000/gm)].map((x) => x[1]));
  const rtx = {};
  for (const [, pt, apt] of sec.matchAll(/^a=fmtp:(\d+) apt=(\d+)/gm)) {
    if (rtxPts.has(pt)) rtx[Number(pt)] = Number(apt);
  }
  const vp8 = [...sec.matchAll(/^a=rtpmap:(\d+) VP8\/90000/gm)].map((x) => Number(x[1]));
  return { nack, rtx, vp8 };
}

// Whether an SDP negotiates nack and an rtx payload for its VP8 payload
// (every VP8 payload it lists, for an answer that picked one).
export function hasVp8Recovery(sdp) {
  const r = videoRecovery(sdp);
  if (!r.vp8.length) return false;
  const repaired = new Set(Object.values(r.rtx));
  return r.vp8.every((pt) => r.nack.includes(pt) && repaired.has(pt));
}
