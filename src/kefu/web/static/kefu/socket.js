// A WebSocket that comes back by itself: reconnects with backoff, notices a silent
// dead connection by pinging, and stops for good on the close codes that mean
// "you are not allowed" (retrying those would only hammer the server).

const PING_EVERY_MS = 20000;
const SILENCE_LIMIT_MS = 45000;
const MAX_BACKOFF_MS = 15000;
const FATAL_CLOSE_CODES = new Set([4401, 4403, 4404]);

export class ReconnectingSocket {
  /**
   * @param {() => string} urlFor  called before every attempt (the visitor's token may change)
   * @param {{onOpen?: Function, onFrame: Function, onState?: Function, onFatal?: Function}} handlers
   */
  constructor(urlFor, handlers) {
    this.urlFor = urlFor;
    this.handlers = handlers;
    this.ws = null;
    this.attempt = 0;
    this.retryTimer = null;
    this.pingTimer = null;
    this.lastFrameAt = 0;
    this.stopped = false;
    this.state = "idle";
    window.addEventListener("online", () => this.reconnectNow());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible" && this.state !== "open") this.reconnectNow();
    });
  }

  connect() {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    this.setState("connecting");
    let ws;
    try {
      ws = new WebSocket(this.urlFor());
    } catch (err) {
      console.error("kefu: cannot open WebSocket", err);
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    ws.addEventListener("open", () => {
      if (ws !== this.ws) return;
      this.attempt = 0;
      this.lastFrameAt = Date.now();
      this.setState("open");
      this.startPinging();
      this.handlers.onOpen?.();
    });
    ws.addEventListener("message", (event) => {
      if (ws !== this.ws) return;
      this.lastFrameAt = Date.now();
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch (err) {
        console.error("kefu: server sent a frame that is not JSON", err);
        return;
      }
      if (frame && typeof frame.type === "string") this.handlers.onFrame(frame);
    });
    ws.addEventListener("close", (event) => {
      if (ws !== this.ws) return;
      this.ws = null;
      this.stopPinging();
      if (FATAL_CLOSE_CODES.has(event.code)) {
        this.stopped = true;
        this.setState("fatal");
        this.handlers.onFatal?.(event.code);
        return;
      }
      this.scheduleRetry();
    });
  }

  /** Sends a frame now; false when the socket is not open (the caller keeps it for later). */
  send(frame) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  isOpen() {
    return !!this.ws && this.ws.readyState === WebSocket.OPEN;
  }

  reconnectNow() {
    if (this.stopped || this.state === "open" || this.state === "connecting") return;
    this.attempt = 0;
    this.connect();
  }

  /** Drops the current connection (e.g. it went silent) and starts over. */
  restart() {
    const ws = this.ws;
    this.ws = null;
    this.stopPinging();
    if (ws) ws.close();
    this.scheduleRetry();
  }

  scheduleRetry() {
    if (this.stopped) return;
    this.setState("retrying");
    const base = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempt);
    const delay = base / 2 + Math.random() * (base / 2); // jitter: not every tab at once
    this.attempt += 1;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  startPinging() {
    this.stopPinging();
    this.pingTimer = setInterval(() => {
      if (Date.now() - this.lastFrameAt > SILENCE_LIMIT_MS) {
        this.restart();
        return;
      }
      this.send({ type: "ping" });
    }, PING_EVERY_MS);
  }

  stopPinging() {
    clearInterval(this.pingTimer);
    this.pingTimer = null;
  }

  setState(state) {
    if (state === this.state) return;
    this.state = state;
    this.handlers.onState?.(state);
  }
}

/** ws:// or wss:// URL for a path on the page's own host. */
export function socketUrl(path) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${path}`;
}
