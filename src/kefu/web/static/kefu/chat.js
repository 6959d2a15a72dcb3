// The customer's chat window (the page widget.js frames). Speaks docs/protocol.md on
// /ws/visitor. Keeps the visitor token, the shown history and unsent messages in
// localStorage per shop, so a reload or a lost connection loses nothing and shows
// nothing twice.

import { MessageList, newClientId } from "./messages.js";
import { ReconnectingSocket, socketUrl } from "./socket.js";

const ZH = {
  online: "客服在线",
  offline: "客服暂时不在，可以先留言",
  connecting: "连接中…",
  reconnecting: "网络不太稳定，正在重新连接…",
  noShop: "这家店铺的客服暂时无法使用。",
  tooLong: (max) => `消息太长了，最多 ${max} 个字，请分几次发送。`,
  overBy: (n) => `已超出 ${n} 个字`,
  imageType: "只能发送 JPG、PNG、GIF 或 WebP 格式的图片。",
  imageSize: (mb) => `图片太大了，请发送 ${mb} MB 以内的图片。`,
  imageFailed: "图片发送失败，请稍后重试。",
  imageWait: "正在连接客服，请稍后再发图片。",
  sendFailed: "发送失败，请重试。",
};

const EN = {
  online: "We're online",
  offline: "We're away. Leave a message",
  connecting: "Connecting…",
  reconnecting: "Connection is unstable, reconnecting…",
  noShop: "This shop's chat is unavailable right now.",
  tooLong: (max) => `That message is too long (max ${max} characters). Please split it up.`,
  overBy: (n) => `${n} characters over`,
  imageType: "Only JPG, PNG, GIF or WebP images can be sent.",
  imageSize: (mb) => `That image is too large. Please send one under ${mb} MB.`,
  imageFailed: "The image wasn't sent. Please try again shortly.",
  imageWait: "Connecting you to us. Please send the image in a moment.",
  sendFailed: "Not sent. Please try again.",
};

// base.html writes the language Django picked for this page into <html data-lang>.
const STRINGS = document.documentElement.dataset.lang === "en" ? EN : ZH;

const IMAGE_TYPES = new Set(["image/jpeg", "image/png", "image/gif", "image/webp"]);
const CACHE_LIMIT = 200;
const TYPING_IDLE_MS = 3000;
const TYPING_SHOWN_MS = 6000;
// Errors that sending the same text again cannot fix.
const PERMANENT_ERRORS = new Set(["too_long", "empty", "bad_text", "bad_frame"]);

const config = JSON.parse(document.getElementById("kefu-config").textContent);
const root = document.getElementById("kefu-chat");
const $ = (role) => root.querySelector(`[data-role="${role}"]`);
const ui = {
  shopName: $("shop-name"),
  status: $("status"),
  statusText: $("status-text"),
  announcement: $("announcement"),
  announcementText: $("announcement-text"),
  banner: $("banner"),
  messages: $("messages"),
  jump: $("jump"),
  typing: $("typing"),
  hint: $("hint"),
  composer: $("composer"),
  input: $("input"),
  image: $("image"),
  close: $("close"),
};

// --- storage: localStorage per shop key, in memory where the browser refuses it -------------

const memoryStore = new Map();
const store = {
  key: (name) => `kefu:${config.key}:${name}`,
  get(name, fallback) {
    try {
      const raw = window.localStorage.getItem(this.key(name));
      return raw === null ? fallback : JSON.parse(raw);
    } catch {
      return memoryStore.has(name) ? memoryStore.get(name) : fallback;
    }
  },
  set(name, value) {
    memoryStore.set(name, value);
    try {
      window.localStorage.setItem(this.key(name), JSON.stringify(value));
    } catch {
      /* private mode or storage blocked in a third-party frame: memory only */
    }
  },
};

// --- state ----------------------------------------------------------------------------------

const list = new MessageList(ui.messages, { mine: "customer", onRetry: retrySend });
let token = store.get("token", null);
let conversationId = null;
let ready = false;
let unreadWhileHidden = 0;
let panelOpen = window.parent === window; // framed: widget.js tells us when it opens
// Messages typed but not yet acknowledged: [{client_id, text}] (images are not kept).
let outbox = store.get("outbox", []);
const failed = new Map(); // client_id -> {text} or {file}: waiting for the person to press 重试
const uploads = new Map(); // client_id -> File, for a retried image

for (const message of store.get("history", [])) list.add(message);
for (const item of outbox) list.addPending(item.client_id, { text: item.text });
list.scrollToBottom();

const socket = new ReconnectingSocket(
  () => {
    const params = new URLSearchParams({ key: config.key });
    if (token) params.set("token", token);
    // kefu's token for the shop site's signed customer id (widget page), when there is one.
    if (config.identity) params.set("identity", config.identity);
    return socketUrl(`${config.ws_path}?${params}`);
  },
  { onFrame: handleFrame, onState: showConnection, onFatal: handleFatal },
);

// --- frames from the server -----------------------------------------------------------------

function handleFrame(frame) {
  switch (frame.type) {
    case "ready":
      return handleReady(frame);
    case "history":
      frame.messages.forEach(showStored);
      return saveHistory();
    case "message":
      return showLive(frame.message);
    case "ack":
      outbox = outbox.filter((item) => item.client_id !== frame.client_id);
      store.set("outbox", outbox);
      showStored(frame.message);
      return saveHistory();
    case "typing":
      return showAgentTyping(frame.typing);
    case "error":
      return handleError(frame);
    default:
      return undefined; // pong and frames a newer server may add
  }
}

function handleReady(frame) {
  token = frame.token;
  store.set("token", token);
  if (frame.shop) {
    ui.shopName.textContent = frame.shop.name;
    ui.announcementText.textContent = frame.shop.announcement || "";
    ui.announcement.hidden = !frame.shop.announcement;
  }
  ui.status.classList.toggle("is-online", !!frame.agent_online);
  ui.statusText.textContent = frame.agent_online ? STRINGS.online : STRINGS.offline;
  conversationId = frame.conversation ? frame.conversation.id : null;
  // The server's latest conversation is older than what we keep: the cache belongs to
  // another visitor (a token the server no longer knows). Never show it.
  const newestCached = list.messages().reduce((most, m) => Math.max(most, m.conversation), 0);
  if (newestCached > (conversationId || 0)) {
    list.clearStored();
    saveHistory();
  }
  // The server hands the welcome over in `ready` (there is no conversation to store it in
  // before the first message): it greets at the top unless a stored copy is shown.
  const welcome = (frame.shop && frame.shop.welcome) || "";
  const stored = list.messages().some((m) => m.sender === "system" && m.text === welcome);
  showLocalWelcome(stored ? "" : welcome);
  ready = true;
  socket.send({ type: "resume", after_seq: conversationId ? list.lastSeq(conversationId) : 0 });
  // Same client_id as the first try: the server stores each one once.
  for (const item of outbox) socket.send({ type: "message", client_id: item.client_id, text: item.text });
}

let localWelcome = null;
let localWelcomeText = "";
function showLocalWelcome(text) {
  localWelcome?.remove();
  localWelcome = null;
  localWelcomeText = text || "";
  if (!text) return;
  localWelcome = list.render({ sender: "system", text });
  localWelcome.classList.add("msg--local");
  ui.messages.prepend(localWelcome);
}

function showStored(message) {
  if (localWelcome && message.sender === "system" && message.text === localWelcomeText) {
    showLocalWelcome("");
  }
  if (message.conversation !== conversationId && message.conversation > (conversationId || 0)) {
    conversationId = message.conversation; // a new conversation began (the last one was closed)
  }
  return list.add(message);
}

function showLive(message) {
  const shownBefore = list.lastSeq(message.conversation);
  const gap = message.conversation === conversationId && message.seq > shownBefore + 1;
  if (showStored(message)) {
    saveHistory();
    if (message.sender === "agent") {
      ui.status.classList.add("is-online");
      ui.statusText.textContent = STRINGS.online;
    }
    if (message.sender !== "customer") {
      showAgentTyping(false);
      noteUnread();
    }
  }
  if (message.client_id && outbox.some((item) => item.client_id === message.client_id)) {
    outbox = outbox.filter((item) => item.client_id !== message.client_id);
    store.set("outbox", outbox);
  }
  // Something was skipped (a frame lost in a reconnect race): ask for what we miss.
  if (gap) socket.send({ type: "resume", after_seq: shownBefore });
}

function handleError(frame) {
  if (!frame.client_id || !list.hasPending(frame.client_id)) {
    showHint(frame.message || STRINGS.sendFailed);
    return;
  }
  const item = outbox.find((entry) => entry.client_id === frame.client_id);
  outbox = outbox.filter((entry) => entry.client_id !== frame.client_id);
  store.set("outbox", outbox);
  const retryable = !PERMANENT_ERRORS.has(frame.code);
  if (item && retryable) failed.set(frame.client_id, { text: item.text });
  list.fail(frame.client_id, frame.message || STRINGS.sendFailed, { retryable });
}

function handleFatal() {
  ui.banner.hidden = false;
  ui.banner.textContent = STRINGS.noShop;
  ui.input.disabled = true;
}

function saveHistory() {
  store.set("history", list.messages().slice(-CACHE_LIMIT));
}

// --- sending --------------------------------------------------------------------------------

function sendText() {
  const text = ui.input.value.trim();
  if (!text) return;
  if (text.length > config.max_chars) {
    showHint(STRINGS.tooLong(config.max_chars));
    return;
  }
  const clientId = newClientId();
  outbox.push({ client_id: clientId, text });
  store.set("outbox", outbox);
  list.addPending(clientId, { text });
  ui.input.value = "";
  autoGrow();
  updateCounter();
  stopTyping();
  if (ready) socket.send({ type: "message", client_id: clientId, text });
}

function retrySend(clientId) {
  const item = failed.get(clientId);
  if (!item) return;
  failed.delete(clientId);
  list.retrying(clientId);
  if (item.file) {
    upload(clientId, item.file);
    return;
  }
  outbox.push({ client_id: clientId, text: item.text });
  store.set("outbox", outbox);
  if (ready) socket.send({ type: "message", client_id: clientId, text: item.text });
}

function pickImage() {
  const file = ui.image.files && ui.image.files[0];
  ui.image.value = "";
  if (!file) return;
  if (!IMAGE_TYPES.has(file.type)) {
    showHint(STRINGS.imageType);
    return;
  }
  if (file.size > config.max_image_bytes) {
    showHint(STRINGS.imageSize(Math.floor(config.max_image_bytes / 1024 / 1024)));
    return;
  }
  if (!token) {
    showHint(STRINGS.imageWait);
    return;
  }
  const clientId = newClientId();
  list.addPending(clientId, { imageUrl: URL.createObjectURL(file) });
  upload(clientId, file);
}

async function upload(clientId, file) {
  uploads.set(clientId, file);
  const form = new FormData();
  form.append("key", config.key);
  form.append("token", token || "");
  form.append("client_id", clientId);
  form.append("image", file);
  let reason = STRINGS.imageFailed;
  let retryable = true;
  try {
    const response = await fetch(config.upload_url, { method: "POST", body: form });
    const data = await response.json().catch(() => ({}));
    if (response.ok && data.message) {
      uploads.delete(clientId);
      showStored(data.message);
      saveHistory();
      return;
    }
    if (data.error && data.error.message) reason = data.error.message;
    else if (response.status === 413) reason = STRINGS.imageSize(Math.floor(config.max_image_bytes / 1048576));
    retryable = response.status === 429 || response.status >= 500;
  } catch (err) {
    console.warn("kefu: image upload failed", err);
  }
  if (retryable) failed.set(clientId, { file });
  list.fail(clientId, reason, { retryable });
}

// --- typing, both ways ----------------------------------------------------------------------

let typingSent = false;
let typingIdleTimer = null;
let agentTypingTimer = null;

function noteTyping() {
  clearTimeout(typingIdleTimer);
  typingIdleTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
  if (!typingSent && ui.input.value.trim()) {
    typingSent = socket.send({ type: "typing", typing: true });
  }
}

function stopTyping() {
  clearTimeout(typingIdleTimer);
  if (typingSent) socket.send({ type: "typing", typing: false });
  typingSent = false;
}

function showAgentTyping(typing) {
  clearTimeout(agentTypingTimer);
  ui.typing.hidden = !typing;
  if (typing) agentTypingTimer = setTimeout(() => { ui.typing.hidden = true; }, TYPING_SHOWN_MS);
}

// --- screen bits ----------------------------------------------------------------------------

let hintTimer = null;
function showHint(text) {
  ui.hint.textContent = text;
  ui.hint.hidden = false;
  clearTimeout(hintTimer);
  hintTimer = setTimeout(() => { ui.hint.hidden = true; }, 6000);
}

function updateCounter() {
  const over = ui.input.value.trim().length - config.max_chars;
  if (over > 0) showHint(STRINGS.overBy(over));
}

function showConnection(state) {
  if (state === "open") {
    ui.banner.hidden = true;
    return;
  }
  if (state === "fatal") return;
  ready = false;
  ui.banner.textContent = state === "retrying" ? STRINGS.reconnecting : STRINGS.connecting;
  ui.banner.hidden = false;
}

function autoGrow() {
  ui.input.style.height = "auto";
  ui.input.style.height = `${Math.min(ui.input.scrollHeight, 120)}px`;
}

function noteUnread() {
  if (panelOpen && document.visibilityState === "visible") return;
  unreadWhileHidden += 1;
  tellParent({ kefu: "unread", count: unreadWhileHidden });
}

function tellParent(data) {
  if (window.parent !== window) window.parent.postMessage(data, "*");
}

// --- wiring ---------------------------------------------------------------------------------

ui.composer.addEventListener("submit", (event) => {
  event.preventDefault();
  sendText();
  ui.input.focus();
});
ui.input.addEventListener("keydown", (event) => {
  // isComposing: Enter that picks a 拼音 candidate must not send the half-typed line.
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
    event.preventDefault();
    sendText();
  }
});
ui.input.addEventListener("input", () => {
  autoGrow();
  updateCounter();
  noteTyping();
});
ui.input.addEventListener("blur", stopTyping);
ui.image.addEventListener("change", pickImage);
ui.messages.addEventListener("scroll", () => {
  if (list.isNearBottom()) ui.jump.hidden = true;
});
ui.jump.addEventListener("click", () => {
  list.scrollToBottom();
  ui.jump.hidden = true;
});
new MutationObserver(() => {
  if (!list.isNearBottom()) ui.jump.hidden = false;
}).observe(ui.messages, { childList: true });

if (window.parent !== window) {
  ui.close.hidden = false;
  ui.close.addEventListener("click", () => tellParent({ kefu: "close" }));
  window.addEventListener("message", (event) => {
    if (event.source !== window.parent || !event.data || event.data.kefu !== "panel") return;
    panelOpen = !!event.data.open;
    if (panelOpen) {
      unreadWhileHidden = 0;
      list.scrollToBottom();
      ui.input.focus();
    }
  });
  tellParent({ kefu: "ready" });
}

socket.connect();
