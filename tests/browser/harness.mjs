// Browser test harness: a private network namespace, the relay and GStreamer
// processes, and Debian's Chromium driven by playwright-core.
//
// Every test file calls enterPrivateNetwork() first: as root it re-runs the
// same file under `unshare -n` with only `lo` up, so the relay, gst-launch and
// Chromium all live in a namespace whose only interface is loopback and no
// packet can reach the machine's real network.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const sourceRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const webRoot = path.join(sourceRoot, 'signaling', 'web');
export const outputDir = path.join(sourceRoot, 'tests', 'output', 'browser');
export const chromiumPath = process.env.GWS_CHROMIUM || '/usr/bin/chromium';
// Set by tests/browser/meson.build; defaults for running a file by hand.
export const relayBin = process.env.GWS_RELAY ||
    path.join(sourceRoot, 'build', 'signaling', 'relay', 'gst-webrtc-relay');
export const pluginDir = process.env.GWS_PLUGIN_DIR ||
    path.join(sourceRoot, 'build', 'plugins');

const children = new Set();
const logsOpened = new Set(); // fresh log per run, appended to on restarts

// Re-executes this test file inside a new network namespace (once), and
// never returns in the parent. Without root, prints a TAP plan that skips
// everything, since the namespace is the only safe place to run.
export function enterPrivateNetwork() {
  if (process.env.GWS_IN_NETNS === '1') return;
  if (process.getuid && process.getuid() !== 0) {
    console.log('TAP version 13');
    console.log('1..0 # SKIP needs root for a private network namespace (unshare -n)');
    process.exit(0);
  }
  const script = process.argv[1];
  const r = spawnSync('unshare', ['-n', '--', 'sh', '-c',
    'ip link set lo up && exec "$0" "$@"',
    process.execPath, ...process.execArgv, script, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, GWS_IN_NETNS: '1' },
  });
  if (r.error) {
    console.log('TAP version 13');
    console.log(`1..0 # SKIP cannot create a network namespace: ${r.error.message}`);
    process.exit(0);
  }
  process.exit(r.status ?? 1);
}

// Why a test cannot run here, or null. `elements`: it needs webrtcsink /
// webrtcsrc from the build.
export function missingRequirement({ elements = false } = {}) {
  if (!fs.existsSync(chromiumPath)) return `no Chromium at ${chromiumPath} (apt-get install chromium)`;
  try {
    fs.accessSync(path.join(sourceRoot, 'node_modules', 'playwright-core', 'package.json'));
  } catch {
    return 'playwright-core is not installed (run npm ci at the project root)';
  }
  if (!fs.existsSync(relayBin)) return `no relay binary at ${relayBin}`;
  if (elements) {
    const r = spawnSync('gst-inspect-1.0', ['webrtcsink'], {
      env: { ...process.env, GST_PLUGIN_PATH: pluginDir },
      encoding: 'utf8',
    });
    if (r.status !== 0) return `webrtcsink is not available from ${pluginDir}`;
    const s = spawnSync('gst-inspect-1.0', ['webrtcsrc'], {
      env: { ...process.env, GST_PLUGIN_PATH: pluginDir },
      encoding: 'utf8',
    });
    if (s.status !== 0) return `webrtcsrc is not available from ${pluginDir}`;
  }
  return null;
}

export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// A child process whose output is kept in tests/output/browser/<name>.log and
// can be waited on line by line.
export class Proc {
  // `stdin`: 'ignore', or 'pipe' to write commands to `child.stdin`.
  constructor(name, command, args, { env = {}, stdin = 'ignore' } = {}) {
    fs.mkdirSync(outputDir, { recursive: true });
    this.name = name;
    this.logPath = path.join(outputDir, `${name}.log`);
    this.log = fs.createWriteStream(this.logPath, { flags: logsOpened.has(name) ? 'a' : 'w' });
    logsOpened.add(name);
    this.log.write(`$ ${command} ${args.join(' ')}\n`);
    this.output = '';
    this._waiters = [];
    this.child = spawn(command, args, {
      env: { ...process.env, ...env },
      stdio: [stdin, 'pipe', 'pipe'],
    });
    children.add(this.child);
    const onData = (chunk) => {
      const text = chunk.toString();
      this.output += text;
      this.log.write(text);
      for (const w of [...this._waiters]) w.check();
    };
    this.child.stdout.on('data', onData);
    this.child.stderr.on('data', onData);
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        children.delete(this.child);
        this.exitCode = code;
        this.exitSignal = signal;
        this.log.write(`[exited: code ${code} signal ${signal}]\n`);
        for (const w of [...this._waiters]) w.check();
        resolve({ code, signal });
      });
    });
  }

  get running() {
    return this.exitCode === undefined && this.exitSignal === undefined;
  }

  // Resolves with the match of `regex` in the output (from `from` on).
  waitFor(regex, timeoutMs, { from = 0 } = {}) {
    return new Promise((resolve, reject) => {
      const waiter = {
        check: () => {
          const m = this.output.slice(from).match(regex);
          if (m) {
            done();
            resolve(m);
          } else if (!this.running) {
            done();
            reject(new Error(`${this.name} exited (code ${this.exitCode}, ` +
              `signal ${this.exitSignal}) before printing ${regex}; see ${this.logPath}`));
          }
        },
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${this.name}: no ${regex} within ${timeoutMs} ms; see ${this.logPath}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this._waiters = this._waiters.filter((w) => w !== waiter);
      };
      this._waiters.push(waiter);
      waiter.check();
    });
  }

  async stop(signal = 'SIGTERM', timeoutMs = 5000) {
    if (!this.running) return this.exited;
    this.child.kill(signal);
    try {
      return await withTimeout(this.exited, timeoutMs, `${this.name} to exit`);
    } catch {
      this.child.kill('SIGKILL');
      return this.exited;
    }
  }
}

process.on('exit', () => {
  for (const child of children) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

// `promise`, or a rejection as soon as one of `procs` exits.
export function guard(promise, ...procs) {
  return Promise.race([promise, ...procs.map((p) => p.exited.then(({ code, signal }) => {
    throw new Error(`${p.name} exited (code ${code}, signal ${signal}); see ${p.logPath}`);
  }))]);
}

// Starts gst-webrtc-relay serving the web client; `port` 0 picks a free one.
export async function startRelay(name, { port = 0, args = [], root = webRoot } = {}) {
  const proc = new Proc(name, relayBin,
      ['--host', '127.0.0.1', '--port', String(port), '--web-root', root, ...args]);
  const m = await proc.waitFor(/listening on (wss?):\/\/127\.0\.0\.1:(\d+)/, 10000);
  const tls = m[1] === 'wss';
  const p = Number(m[2]);
  return {
    proc,
    port: p,
    httpUrl: `${tls ? 'https' : 'http'}://127.0.0.1:${p}/`,
    wsUrl: `${tls ? 'wss' : 'ws'}://127.0.0.1:${p}/`,
  };
}

// Splits a pipeline description into gst-launch arguments at whitespace
// outside double quotes, keeping the quotes (gst-launch escapes the spaces
// inside each argument, so one big argument would not parse).
export function pipelineArgs(description) {
  const args = [];
  let cur = '';
  let quoted = false;
  for (const c of description) {
    if (c === '"') quoted = !quoted;
    if (/\s/.test(c) && !quoted) {
      if (cur) args.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  if (cur) args.push(cur);
  return args;
}

// gst-launch-1.0 with our plugin on the path.
export function gstLaunch(name, pipeline, { env = {}, verbose = false } = {}) {
  return new Proc(name, 'gst-launch-1.0',
      [...(verbose ? ['-v'] : []), ...pipelineArgs(pipeline)], {
        env: { GST_PLUGIN_PATH: pluginDir, ...env },
      });
}

// Debian's Chromium, headless, with a fresh profile and the flags from
// shared/reference/test-environment.md: loopback ICE candidates, a fake
// camera and microphone that need no permission prompt, and host addresses
// not hidden behind mDNS names (no mDNS resolver here).
// `executablePath`: another launcher (e.g. one that enters a namespace).
export async function launchChromium({ extraArgs = [], executablePath = chromiumPath } = {}) {
  const { chromium } = await import('playwright-core');
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gws-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    viewport: { width: 1100, height: 820 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--allow-loopback-in-peer-connection',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      '--autoplay-policy=no-user-gesture-required',
      // One --disable-features (Chromium reads a single value, the last):
      // ours plus the few of Playwright's defaults that matter here.
      '--disable-features=WebRtcHideLocalIpsWithMdns,DestroyProfileOnBrowserClose,' +
        'MediaRouter,OptimizationHints,NetworkTimeServiceQuerying,PreconnectToSearch,' +
        'HttpsUpgrades,HttpsFirstBalancedModeAutoEnable',
      ...extraArgs,
    ],
  });
  const close = async () => {
    await context.close().catch(() => {});
    fs.rmSync(userDataDir, { recursive: true, force: true });
  };
  return { context, close };
}

// A new page whose console output goes to tests/output/browser/<name>.console.log.
export async function openPage(context, name, url) {
  const page = await context.newPage();
  fs.mkdirSync(outputDir, { recursive: true });
  const log = fs.createWriteStream(path.join(outputDir, `${name}.console.log`));
  page.on('console', (m) => log.write(`[${m.type()}] ${m.text()}\n`));
  page.on('pageerror', (e) => log.write(`[pageerror] ${e.stack || e}\n`));
  page.on('close', () => log.end());
  if (url) await page.goto(url);
  return page;
}

export async function screenshot(page, name) {
  fs.mkdirSync(outputDir, { recursive: true });
  const file = path.join(outputDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

// Waits until `fn(arg)` (run in the page) returns a truthy value; returns it.
export async function until(page, fn, arg, timeoutMs, what) {
  try {
    const handle = await page.waitForFunction(fn, arg, { timeout: timeoutMs, polling: 100 });
    return await handle.jsonValue();
  } catch (e) {
    const state = await page.evaluate(() => JSON.stringify(window.gwsState)).catch(() => '?');
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; gwsState=${state}`);
  }
}

// The page's own state object.
export function gwsState(page) {
  return page.evaluate(() => JSON.parse(JSON.stringify(window.gwsState)));
}

// Waits until the page plays: connected, video decoded at a size, and the
// decoded frame count still rising. Returns { width, height, frames }.
export async function waitForPlayback(page, timeoutMs = 20000) {
  await until(page, () => window.gwsState.play.state === 'connected', null, timeoutMs,
      'the consumer peer connection to be connected');
  const size = await until(page, () => {
    const v = document.getElementById('remote-video');
    return v.videoWidth > 0 ? { width: v.videoWidth, height: v.videoHeight } : null;
  }, null, timeoutMs, 'the video element to have a decoded size');
  const first = await until(page, () => {
    const s = window.gwsState.play.stats;
    return s && s.video && s.video.frames > 0 ? s.video.frames : null;
  }, null, timeoutMs, 'decoded frames in getStats');
  const later = await until(page, (before) => {
    const s = window.gwsState.play.stats;
    return s && s.video && s.video.frames > before ? s.video.frames : null;
  }, first, timeoutMs, 'the decoded frame count to keep rising');
  return { ...size, frames: later };
}

// Waits until the <video> `selector` decodes `width` x `height`: a
// webrtcsink viewer starts at half size while congestion control's
// estimate ramps up from its 300 kbit/s start (full size from ~0.9 Mbit/s
// for 640x480 at 30 fps, a few seconds on a clean link). Returns it.
export async function waitForVideoSize(page, selector, width, height, timeoutMs = 20000) {
  return until(page, ([sel, w, h]) => {
    const v = document.querySelector(sel);
    return v && v.videoWidth === w && v.videoHeight === h ? { width: w, height: h } : null;
  }, [selector, width, height], timeoutMs, `the video to reach ${width}x${height}`);
}

// Chromium's fake camera captures 640x480; its encoder may start lower
// (scaled down while the bandwidth estimate ramps up) but keeps 4:3.
export function assertCameraSize({ width, height }) {
  if (!(width > 0 && width <= 640 && width * 3 === height * 4)) {
    throw new Error(`decoded ${width}x${height}, expected Chromium's 640x480 camera ` +
        'or a 4:3 scaled-down version of it');
  }
}
