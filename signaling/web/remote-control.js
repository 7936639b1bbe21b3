// gst-webrtc-session web client: remote control of a producer over its
// `control` data channel, in the protocol of GStreamer's Rust webrtcsink and
// the gstwebrtc-api client (docs/elements.md "Remote control"):
//   {"id": N, "request": {"type": "navigationEvent", "event": {"event":
//    "MouseMove", "x": 10, "y": 20, "modifier_state": "shift-mask"}}}
// answered by {"type": "ControlResponseMessage", "id": N, "error"?}.
// Mouse, wheel and keyboard input on the <video> becomes navigation events
// in the video's own pixel coordinates (letterboxing taken off), which
// webrtcsink sends upstream from its video input as GstNavigation events.

// KeyboardEvent.key -> X keysym name (what GStreamer's navigation events
// carry); printable characters are their own name.
const KEYSYMS = {
  Enter: 'Return', Backspace: 'BackSpace', Tab: 'Tab', Escape: 'Escape',
  ArrowLeft: 'Left', ArrowRight: 'Right', ArrowUp: 'Up', ArrowDown: 'Down',
  Delete: 'Delete', Insert: 'Insert', Home: 'Home', End: 'End',
  PageUp: 'Page_Up', PageDown: 'Page_Down', ' ': 'space', CapsLock: 'Caps_Lock',
};
const SIDED = { Shift: 'Shift', Control: 'Control', Alt: 'Alt', Meta: 'Super' };

export function keysym(key, code = '') {
  if (KEYSYMS[key]) return KEYSYMS[key];
  if (SIDED[key]) return `${SIDED[key]}_${code.endsWith('Right') ? 'R' : 'L'}`;
  return key; // 'a', 'A', '1', 'F5', ...
}

// GstNavigationModifierType nicks, joined with '+'.
export function modifiers(ev) {
  const out = [];
  if (ev.shiftKey) out.push('shift-mask');
  if (ev.ctrlKey) out.push('control-mask');
  if (ev.altKey) out.push('mod1-mask');
  if (ev.metaKey) out.push('meta-mask');
  const buttons = ev.buttons || 0;
  for (let i = 0; i < 5; i++) {
    if (buttons & (1 << i)) out.push(`button${i + 1}-mask`);
  }
  return out.join('+');
}

// The point (offsetX/offsetY in the element's box) in video pixels, with the
// letterbox of object-fit: contain taken off; null outside the picture.
export function videoPoint(offsetX, offsetY, box, videoWidth, videoHeight) {
  if (!videoWidth || !videoHeight || !box.width || !box.height) return null;
  const scale = Math.min(box.width / videoWidth, box.height / videoHeight);
  const left = (box.width - videoWidth * scale) / 2;
  const top = (box.height - videoHeight * scale) / 2;
  const x = (offsetX - left) / scale;
  const y = (offsetY - top) / scale;
  if (x < 0 || y < 0 || x > videoWidth || y > videoHeight) return null;
  return { x, y };
}

const MOUSE = { mousemove: 'MouseMove', mousedown: 'MouseButtonPress', mouseup: 'MouseButtonRelease' };
const KEYS = { keydown: 'KeyPress', keyup: 'KeyRelease' };

// The navigation event (upstream JSON) for DOM event `ev` on `video`.
export function navigationEvent(ev, video) {
  if (KEYS[ev.type]) {
    return { event: KEYS[ev.type], key: keysym(ev.key, ev.code), modifier_state: modifiers(ev) };
  }
  if (!MOUSE[ev.type] && ev.type !== 'wheel') return null;
  const p = videoPoint(ev.offsetX, ev.offsetY,
      { width: video.clientWidth, height: video.clientHeight },
      video.videoWidth, video.videoHeight);
  if (!p) return null;
  if (ev.type === 'wheel') {
    return { event: 'MouseScroll', x: p.x, y: p.y, delta_x: -ev.deltaX,
      delta_y: -ev.deltaY, modifier_state: modifiers(ev) };
  }
  const out = { event: MOUSE[ev.type], x: p.x, y: p.y, modifier_state: modifiers(ev) };
  if (ev.type !== 'mousemove') out.button = ev.button + 1;
  return out;
}

// Sends `video`'s input as requests through `send(text)` while enabled.
export class RemoteControl extends EventTarget {
  constructor(video, send) {
    super();
    this.video = video;
    this.send = send;
    this.enabled = false;
    this.nextId = 0;
    this.sent = 0;
    this.answered = 0;
    this.errors = [];
    this._types = ['mousemove', 'mousedown', 'mouseup', 'wheel', 'keydown', 'keyup',
      'contextmenu'];
  }

  enable() {
    if (this.enabled) return;
    this.enabled = true;
    this.video.tabIndex = 0;
    for (const t of this._types) this.video.addEventListener(t, this);
  }

  disable() {
    if (!this.enabled) return;
    this.enabled = false;
    for (const t of this._types) this.video.removeEventListener(t, this);
  }

  handleEvent(ev) {
    if (ev.type === 'contextmenu') {
      ev.preventDefault();
      return;
    }
    if (ev.type === 'mousedown') this.video.focus();
    const event = navigationEvent(ev, this.video);
    if (!event) return;
    ev.preventDefault();
    this.request({ type: 'navigationEvent', event });
  }

  // Sends one request; returns its id.
  request(request) {
    const id = this.nextId++;
    this.send(JSON.stringify({ id, request }));
    this.sent++;
    return id;
  }

  // A message from the producer's control channel.
  handleMessage(text) {
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (msg.type !== 'ControlResponseMessage') return;
    this.answered++;
    if (msg.error) this.errors.push(`request ${msg.id}: ${msg.error}`);
    this.dispatchEvent(new CustomEvent('response', { detail: msg }));
  }
}
