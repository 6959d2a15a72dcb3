// One conversation's message list on screen, shared by the widget and the workbench.
// Every piece of text a person typed goes in through textContent, never innerHTML.
// Messages are kept in (conversation, seq) order, de-duplicated by seq; a local echo
// (no seq yet) waits at the bottom until its ack or its stored copy replaces it.

const ZH = {
  sending: "发送中…",
  failed: "发送失败",
  retry: "重试",
  autoReply: "自动回复",
  assistant: "智能助手",
  image: "图片",
  yesterday: "昨天",
  date: (month, day) => `${month}月${day}日`,
};

const EN = {
  sending: "Sending…",
  failed: "Not sent",
  retry: "Retry",
  autoReply: "Auto-reply",
  assistant: "Assistant",
  image: "Image",
  yesterday: "Yesterday",
  date: (month, day) =>
    `${["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][month - 1]} ${day}`,
};

// base.html writes the language Django picked for this page into <html data-lang>.
const STRINGS = document.documentElement.dataset.lang === "en" ? EN : ZH;

const TIME_GAP_MS = 5 * 60 * 1000;
const NEAR_BOTTOM_PX = 80;

/** A client id for a new message: crypto.randomUUID where the page is a secure context. */
export function newClientId() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") {
    return window.crypto.randomUUID();
  }
  const bytes = new Uint8Array(16);
  if (window.crypto && window.crypto.getRandomValues) {
    window.crypto.getRandomValues(bytes);
  } else {
    for (let i = 0; i < 16; i += 1) bytes[i] = Math.floor(Math.random() * 256);
  }
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const pad = (n) => String(n).padStart(2, "0");

/** "10:02" today, "昨天 10:02", "11月20日 10:02" before that. */
export function formatClock(iso) {
  const when = new Date(iso);
  if (Number.isNaN(when.getTime())) return "";
  const clock = `${pad(when.getHours())}:${pad(when.getMinutes())}`;
  const now = new Date();
  const startOfToday = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime();
  if (when.getTime() >= startOfToday) return clock;
  if (when.getTime() >= startOfToday - 86400000) return `${STRINGS.yesterday} ${clock}`;
  return `${STRINGS.date(when.getMonth() + 1, when.getDate())} ${clock}`;
}

/** Only our own media paths or http(s) URLs may become an img src or a link. */
export function safeMediaUrl(url) {
  if (typeof url !== "string" || !url) return null;
  if (url.startsWith("blob:")) return url;
  if (url.startsWith("/") && !url.startsWith("//")) return url;
  try {
    const parsed = new URL(url, location.href);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

export class MessageList {
  /**
   * @param {HTMLElement} container
   * @param {{mine: string, onRetry?: (clientId: string) => void, onImageLoad?: () => void}} options
   *   mine: the sender kind drawn on the right ("customer" in the widget, "agent" on the desk)
   */
  constructor(container, options) {
    this.container = container;
    this.mine = options.mine;
    this.onRetry = options.onRetry;
    this.stored = new Map(); // "conv:seq" -> message
    this.nodes = new Map(); // "conv:seq" -> element
    this.pending = new Map(); // client_id -> element
    this.maxSeq = new Map(); // conversation -> highest seq shown
  }

  lastSeq(conversation) {
    return this.maxSeq.get(conversation) || 0;
  }

  has(message) {
    return this.stored.has(`${message.conversation}:${message.seq}`);
  }

  hasPending(clientId) {
    return this.pending.has(clientId);
  }

  /** Every stored message in order (for caching). */
  messages() {
    return Array.from(this.stored.values()).sort(compareMessages);
  }

  /** Forgets every stored message (local echoes stay). */
  clearStored() {
    for (const node of this.container.querySelectorAll(".msg[data-seq], .msg-time")) node.remove();
    this.stored.clear();
    this.nodes.clear();
    this.maxSeq.clear();
  }

  /** Shows a stored message once; replaces its local echo. Returns false for a duplicate. */
  add(message) {
    const key = `${message.conversation}:${message.seq}`;
    const echo = message.client_id ? this.pending.get(message.client_id) : undefined;
    if (echo) {
      echo.remove();
      this.pending.delete(message.client_id);
    }
    if (this.stored.has(key)) return false;
    const stick = this.isNearBottom();
    this.stored.set(key, message);
    this.maxSeq.set(message.conversation, Math.max(this.lastSeq(message.conversation), message.seq));
    const node = this.render(message);
    this.nodes.set(key, node);
    this.insertInOrder(node, message);
    if (stick || message.sender === this.mine) this.scrollToBottom();
    return true;
  }

  /** The instant echo of what this person just sent. */
  addPending(clientId, { text = "", imageUrl = null } = {}) {
    const message = { client_id: clientId, sender: this.mine, text, image_url: imageUrl };
    const node = this.render(message);
    node.classList.add("msg--pending");
    node.append(this.statusLine(STRINGS.sending));
    this.pending.set(clientId, node);
    this.container.append(node);
    this.scrollToBottom();
    return node;
  }

  /** The server refused a pending message: say why next to it. */
  fail(clientId, reason, { retryable = true } = {}) {
    const node = this.pending.get(clientId);
    if (!node) return;
    node.classList.remove("msg--pending");
    node.classList.add("msg--failed");
    node.querySelector(".msg__status")?.remove();
    const status = this.statusLine(reason || STRINGS.failed);
    status.classList.add("msg__status--error");
    if (retryable && this.onRetry) {
      const retry = el("button", "msg__retry", STRINGS.retry);
      retry.type = "button";
      retry.addEventListener("click", () => this.onRetry(clientId));
      status.append(" ", retry);
    }
    node.append(status);
  }

  /** A failed message is being sent again. */
  retrying(clientId) {
    const node = this.pending.get(clientId);
    if (!node) return;
    node.classList.remove("msg--failed");
    node.classList.add("msg--pending");
    node.querySelector(".msg__status")?.remove();
    node.append(this.statusLine(STRINGS.sending));
  }

  isNearBottom() {
    const c = this.container;
    return c.scrollHeight - c.scrollTop - c.clientHeight < NEAR_BOTTOM_PX;
  }

  scrollToBottom() {
    this.container.scrollTop = this.container.scrollHeight;
  }

  statusLine(text) {
    return el("p", "msg__status", text);
  }

  insertInOrder(node, message) {
    // Walk back from the end: nearly every message belongs at the bottom.
    let before = this.container.querySelector(".msg--pending, .msg--failed");
    let previous = null;
    const confirmed = this.container.querySelectorAll(".msg[data-seq]");
    for (let i = confirmed.length - 1; i >= 0; i -= 1) {
      const other = confirmed[i];
      const order = compareMessages(message, {
        conversation: Number(other.dataset.conv),
        seq: Number(other.dataset.seq),
      });
      if (order > 0) {
        previous = other;
        break;
      }
      before = other;
    }
    const atEnd = previous === confirmed[confirmed.length - 1] || confirmed.length === 0;
    if (atEnd && this.needsTimeDivider(previous, message)) {
      const divider = el("div", "msg-time", formatClock(message.created_at));
      this.container.insertBefore(divider, before ? timeDividerOwner(before) : null);
    }
    this.container.insertBefore(node, before ? timeDividerOwner(before) : null);
  }

  needsTimeDivider(previousNode, message) {
    if (!message.created_at) return false;
    if (!previousNode) return true;
    const prev = this.stored.get(`${previousNode.dataset.conv}:${previousNode.dataset.seq}`);
    if (!prev || !prev.created_at) return true;
    return new Date(message.created_at) - new Date(prev.created_at) > TIME_GAP_MS;
  }

  render(message) {
    const kind = message.sender === "system" || message.sender === "assistant"
      ? "notice"
      : message.sender === this.mine ? "mine" : "theirs";
    const node = el("div", `msg msg--${kind} msg--from-${message.sender}`);
    if (message.seq) {
      node.dataset.seq = String(message.seq);
      node.dataset.conv = String(message.conversation);
    }
    if (message.client_id) node.dataset.clientId = message.client_id;
    if (kind === "notice") {
      const label = message.sender === "assistant" ? STRINGS.assistant : STRINGS.autoReply;
      node.append(el("span", "msg__label", label));
    } else if (message.author) {
      node.append(el("p", "msg__author", message.author));
    }
    const bubble = el("div", "msg__bubble");
    const imageUrl = safeMediaUrl(message.image_url);
    if (imageUrl) {
      const link = el("a", "msg__image");
      link.href = imageUrl;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      const img = el("img");
      img.alt = STRINGS.image;
      img.src = imageUrl;
      img.addEventListener("error", () => {
        // Not a picture after all (a refused upload's preview): say so instead of a broken icon.
        link.replaceWith(el("span", "msg__image-missing", `[${STRINGS.image}]`));
      });
      img.addEventListener("load", () => {
        if (this.isNearBottom() || this.container.lastElementChild === node) this.scrollToBottom();
      });
      link.append(img);
      bubble.append(link);
    }
    if (message.text) bubble.append(el("p", "msg__text", message.text));
    node.append(bubble);
    if (message.created_at) {
      node.title = formatClock(message.created_at);
    }
    return node;
  }
}

function compareMessages(a, b) {
  return a.conversation - b.conversation || a.seq - b.seq;
}

function timeDividerOwner(node) {
  // A time divider belongs to the message after it: insert in front of both.
  const prev = node.previousElementSibling;
  return prev && prev.classList.contains("msg-time") ? prev : node;
}
