// The agent workbench. Speaks docs/protocol.md on /ws/agent: the conversation list lives
// from `ready` and `conversation` frames; each conversation opened keeps its own message
// list, draft, unsent messages and typing state, so switching never loses anything. On
// reconnect every opened conversation is re-opened with the last seq it shows, and unacked
// sends go again with the same client_id.

import { createApi } from "./desk_api.js";
import { createAssist } from "./desk_assist.js";
import { CustomerPanel } from "./desk_customer.js";
import { ConversationList, avatarHue, avatarText, waitingText } from "./desk_list.js";
import { QuickReplyPicker } from "./desk_quick_replies.js";
import { TransferDialog } from "./desk_transfer.js";
import { MessageList, formatClock, newClientId } from "./messages.js";
import { ReconnectingSocket, socketUrl } from "./socket.js";

const STRINGS = {
  online: "在线",
  connecting: "连接中…",
  retrying: "已断开，正在重连…",
  loggedOut: "登录已失效，正在跳转到登录页…",
  status: { waiting: "排队中", open: "接待中", closed: "已结束" },
  assignee: (name) => `接待：${name}`,
  handoff: (from, note) => (note ? `${from}：${note}` : `${from} 转来`),
  unassigned: "未分配",
  lockedClosed: "会话已结束，不能再回复。",
  lockedOther: (name) => `该会话由 ${name} 接待中，您只能查看。`,
  tooLong: (max) => `回复太长了，最多 ${max} 个字。`,
  counter: (n, max) => `${n}/${max}`,
  claimed: "已认领，顾客正在等您回复。",
  transferred: (name) => `已转接给 ${name}。`,
  closed: "会话已结束。",
  sendFailed: "发送失败，请重试。",
  notSent: "未发送，已放回回复框。",
  title: (n, shop) => (n ? `(${n}) 工作台 · ${shop}` : `工作台 · ${shop}`),
};

const TYPING_IDLE_MS = 3000;
const TYPING_RESEND_MS = 4000;
const CUSTOMER_TYPING_SHOWN_MS = 6000;
const CLOCK_TICK_MS = 15000;
const PERMANENT_ERRORS = new Set(["too_long", "empty", "bad_text", "forbidden", "closed", "not_found"]);

const config = JSON.parse(document.getElementById("desk-config").textContent);
const csrfToken = document.querySelector('[data-role="csrf"] input[name="csrfmiddlewaretoken"]').value;
const api = createApi(config.api, csrfToken);
const me = config.me;
const $ = (role) => document.querySelector(`[data-role="${role}"]`);
const ui = {
  conn: $("conn"),
  connText: $("conn-text"),
  filter: $("filter"),
  placeholder: $("placeholder"),
  conv: $("conv"),
  avatar: $("conv-avatar"),
  visitor: $("conv-visitor"),
  status: $("conv-status"),
  assignee: $("conv-assignee"),
  histories: $("histories"),
  jump: $("jump"),
  typing: $("typing"),
  locked: $("locked"),
  input: $("input"),
  counter: $("counter"),
  toast: $("toast"),
  closeDialog: $("close-dialog"),
  facts: $("facts"),
  claim: document.querySelector('[data-action="claim"]'),
  transfer: document.querySelector('[data-action="transfer"]'),
  close: document.querySelector('[data-action="close"]'),
  send: document.querySelector('[data-action="send"]'),
};

// --- state ----------------------------------------------------------------------------------

/** @type {Map<number, object>} id -> CONV (protocol.md) */
const conversations = new Map();
/** @type {Map<number, object>} id -> what this tab holds for a conversation it has opened */
const sessions = new Map();
const customerTyping = new Map(); // conversation id -> timer
let activeId = null;
let tabChosen = false;

const list = new ConversationList({
  listEl: $("list"),
  emptyEl: $("list-empty"),
  countEls: {
    waiting: document.querySelector('[data-count="waiting"]'),
    mine: document.querySelector('[data-count="mine"]'),
    all: document.querySelector('[data-count="all"]'),
  },
  meId: me.member_id,
  onSelect: select,
});
const picker = new QuickReplyPicker({
  input: ui.input,
  box: $("qr"),
  listEl: $("qr-list"),
  emptyEl: $("qr-empty"),
  api,
  conversationId: () => activeId,
});
const assist = createAssist({
  api,
  input: ui.input,
  toast: (text, isError) => toast(text, isError),
  activeId: () => activeId,
  conversations,
  onMood: () => scheduleRefresh(),
});
const customerPanel = new CustomerPanel({
  root: $("cust"),
  base: config.api,
  csrfToken,
  toast: (text, isError) => toast(text, isError),
});
const transferDialog = new TransferDialog({
  dialog: $("transfer-dialog"),
  api,
  meId: me.member_id,
  onDone: (data, name) => {
    upsert(conversationOf(data));
    toast(STRINGS.transferred(name));
  },
});

const socket = new ReconnectingSocket(() => socketUrl(config.ws_path), {
  onFrame: handleFrame,
  onState: showConnection,
  onFatal: () => {
    toast(STRINGS.loggedOut);
    const next = encodeURIComponent(location.pathname);
    setTimeout(() => { location.href = `${config.login_url}?next=${next}`; }, 1200);
  },
});

function sessionFor(id) {
  let session = sessions.get(id);
  if (session) return session;
  const container = document.createElement("div");
  container.className = "history";
  container.hidden = true;
  container.dataset.conversation = String(id);
  ui.histories.append(container);
  session = {
    id,
    container,
    messages: new MessageList(container, { mine: "agent", onRetry: (cid) => retrySend(id, cid) }),
    opened: false,
    outbox: [], // [{client_id, text}] sent but not acknowledged
    failed: new Map(), // client_id -> text
    draft: "",
  };
  container.addEventListener("scroll", () => {
    if (session.messages.isNearBottom()) ui.jump.hidden = true;
  });
  sessions.set(id, session);
  return session;
}

// --- frames from the server -----------------------------------------------------------------

function handleFrame(frame) {
  switch (frame.type) {
    case "ready":
      return handleReady(frame);
    case "history":
      return handleHistory(frame);
    case "message":
      return handleMessage(frame.message);
    case "ack":
      return handleAck(frame);
    case "conversation":
      return upsert(frame.conversation);
    case "typing":
      return handleTyping(frame);
    case "analysis":
      return assist.analysis(frame);
    case "error":
      return handleError(frame);
    default:
      return undefined;
  }
}

function handleReady(frame) {
  const fresh = new Map(frame.conversations.map((c) => [c.id, c]));
  // Keep what this tab has open even if the list no longer carries it (closed, transferred).
  for (const [id, conv] of conversations) if (sessions.has(id) && !fresh.has(id)) fresh.set(id, conv);
  conversations.clear();
  for (const [id, conv] of fresh) conversations.set(id, conv);
  for (const session of sessions.values()) {
    if (!session.opened) continue;
    socket.send({ type: "open", conversation: session.id, after_seq: session.messages.lastSeq(session.id) });
    for (const item of session.outbox) socket.send(messageFrame(session.id, item));
  }
  if (!tabChosen) {
    // Start where the work is: my own chats if I have any, else the queue.
    tabChosen = true;
    const mine = frame.conversations.some((c) => list.inTab(c, "mine"));
    if (mine) list.tab = "mine";
    showTab();
  }
  if (activeId === null) {
    const wanted = Number(new URLSearchParams(location.hash.slice(1)).get("c"));
    if (conversations.has(wanted)) select(wanted);
  }
  refresh();
}

function handleHistory(frame) {
  const session = sessions.get(frame.conversation);
  if (!session) return;
  for (const message of frame.messages) {
    session.messages.add(message);
    assist.messageShown(session.messages, message);
  }
  markRead(session.id);
}

function handleMessage(message) {
  const id = message.conversation;
  const conv = conversations.get(id);
  if (conv && (!conv.last_seq || message.seq >= conv.last_seq)) {
    conv.last_seq = message.seq;
    conv.last_message_at = message.created_at;
    conv.last_message_preview = message.text || conv.last_message_preview;
  }
  if (message.sender === "customer") stopCustomerTyping(id);
  const session = sessions.get(id);
  if (session && session.opened) {
    const shownBefore = session.messages.lastSeq(id);
    const isNew = session.messages.add(message);
    assist.messageShown(session.messages, message);
    forgetSent(session, message.client_id);
    if (message.seq > shownBefore + 1 && shownBefore > 0) {
      // A frame went missing between reconnects: ask for the gap again.
      socket.send({ type: "open", conversation: id, after_seq: shownBefore });
    }
    if (isNew && message.sender === "customer") {
      assist.customerWrote(id);
      if (id === activeId && document.visibilityState === "visible") markRead(id);
      else if (conv) conv.unread = (conv.unread || 0) + 1;
    }
  }
  scheduleRefresh();
}

function handleAck(frame) {
  const session = sessions.get(frame.message.conversation);
  if (!session) return;
  forgetSent(session, frame.client_id);
  session.messages.add(frame.message);
  assist.messageShown(session.messages, frame.message);
}

function forgetSent(session, clientId) {
  if (!clientId) return;
  session.outbox = session.outbox.filter((item) => item.client_id !== clientId);
}

function handleTyping(frame) {
  if (frame.by !== "customer") return;
  const id = frame.conversation;
  if (!frame.typing) {
    stopCustomerTyping(id);
    return;
  }
  clearTimeout(customerTyping.get(id));
  customerTyping.set(id, setTimeout(() => stopCustomerTyping(id), CUSTOMER_TYPING_SHOWN_MS));
  scheduleRefresh();
}

function stopCustomerTyping(id) {
  if (!customerTyping.has(id)) return;
  clearTimeout(customerTyping.get(id));
  customerTyping.delete(id);
  scheduleRefresh();
}

function handleError(frame) {
  const session = frame.client_id
    ? Array.from(sessions.values()).find((s) => s.messages.hasPending(frame.client_id))
    : null;
  if (!session) {
    toast(frame.message || STRINGS.sendFailed, true);
    return;
  }
  const item = session.outbox.find((entry) => entry.client_id === frame.client_id);
  forgetSent(session, frame.client_id);
  if (frame.code === "needs_confirmation" && item) {
    askToConfirm(session, item, frame);
    return;
  }
  const retryable = !PERMANENT_ERRORS.has(frame.code);
  if (item && retryable) session.failed.set(frame.client_id, item.text);
  session.messages.fail(frame.client_id, frame.message || STRINGS.sendFailed, { retryable });
}

/** The CONV in an API answer ({"conversation": CONV}). */
function conversationOf(data) {
  return data && data.conversation ? data.conversation : data;
}

function upsert(conv) {
  if (!conv || typeof conv.id !== "number") return;
  const mine = conversations.get(conv.id);
  const merged = { ...mine, ...conv };
  // The open, visible conversation is being read right now whatever the summary says.
  if (conv.id === activeId && document.visibilityState === "visible") merged.unread = 0;
  conversations.set(conv.id, merged);
  scheduleRefresh();
}

// --- choosing a conversation ----------------------------------------------------------------

function select(id) {
  if (!conversations.has(id)) return;
  if (activeId !== null && sessions.has(activeId)) {
    const previous = sessions.get(activeId);
    previous.draft = ui.input.value;
    previous.container.hidden = true;
    stopTyping();
  }
  picker.close();
  activeId = id;
  const session = sessionFor(id);
  session.container.hidden = false;
  if (!session.opened) {
    session.opened = true;
    socket.send({ type: "open", conversation: id, after_seq: session.messages.lastSeq(id) });
  } else {
    markRead(id);
  }
  ui.input.value = session.draft;
  ui.jump.hidden = true;
  assist.selected(id);
  customerPanel.show(id);
  history.replaceState(null, "", `#c=${id}`);
  refresh();
  session.messages.scrollToBottom();
  if (!ui.input.disabled) ui.input.focus();
}

function markRead(id) {
  const conv = conversations.get(id);
  const session = sessions.get(id);
  if (!conv || !session || id !== activeId || document.visibilityState !== "visible") return;
  const seq = session.messages.lastSeq(id);
  if (seq > 0 && (conv.unread > 0 || session.readSent !== seq)) {
    socket.send({ type: "read", conversation: id, seq });
    session.readSent = seq;
  }
  conv.unread = 0;
  scheduleRefresh();
}

// --- sending --------------------------------------------------------------------------------

function sendReply() {
  if (activeId === null || ui.input.disabled) return;
  const text = ui.input.value.trim();
  if (!text) return;
  if (text.length > config.max_chars) {
    toast(STRINGS.tooLong(config.max_chars), true);
    return;
  }
  const session = sessionFor(activeId);
  const item = { client_id: newClientId(), text };
  session.outbox.push(item);
  session.messages.addPending(item.client_id, { text });
  ui.input.value = "";
  session.draft = "";
  updateCounter();
  stopTyping();
  assist.draftChanged();
  socket.send(messageFrame(activeId, item));
}

/** The socket frame for an outbox item; `confirm` only once the agent said "send anyway". */
function messageFrame(conversationId, item) {
  const frame = { type: "message", conversation: conversationId, client_id: item.client_id, text: item.text };
  if (item.confirm) frame.confirm = true;
  return frame;
}

/**
 * The server wants an explicit "send anyway" (a high-severity finding). Nothing was stored:
 * the text goes back into the draft at once, so it is never lost, then the dialog asks.
 */
function askToConfirm(session, item, frame) {
  session.messages.pending.get(item.client_id)?.remove();
  session.messages.pending.delete(item.client_id);
  setDraft(session, joinDrafts(item.text, draftOf(session)));
  assist.confirm.ask({
    text: item.text,
    message: frame.message,
    findings: Array.isArray(frame.findings) ? frame.findings : [],
    onSend: () => {
      const draft = draftOf(session);
      if (draft.trim() === item.text) setDraft(session, "");
      else if (draft.startsWith(`${item.text}\n`)) setDraft(session, draft.slice(item.text.length + 1));
      const again = { client_id: item.client_id, text: item.text, confirm: true };
      session.outbox.push(again);
      session.messages.addPending(again.client_id, { text: again.text });
      socket.send(messageFrame(session.id, again));
    },
    onEdit: () => {
      if (session.id === activeId && !ui.input.disabled) ui.input.focus();
      toast(STRINGS.notSent);
    },
  });
}

function draftOf(session) {
  return session.id === activeId ? ui.input.value : session.draft;
}

function joinDrafts(refused, current) {
  return current.trim() ? `${refused}\n${current}` : refused;
}

function setDraft(session, text) {
  session.draft = text;
  if (session.id !== activeId) return;
  ui.input.value = text;
  updateCounter();
  assist.draftChanged();
}

function retrySend(conversationId, clientId) {
  const session = sessions.get(conversationId);
  const text = session && session.failed.get(clientId);
  if (!text) return;
  session.failed.delete(clientId);
  const item = { client_id: clientId, text };
  session.outbox.push(item);
  session.messages.retrying(clientId);
  socket.send(messageFrame(conversationId, item));
}

// --- typing, both ways ----------------------------------------------------------------------

let typingSentAt = 0;
let typingFor = null;
let typingIdleTimer = null;

function noteTyping() {
  if (activeId === null || ui.input.value.trim().startsWith("/")) return;
  clearTimeout(typingIdleTimer);
  typingIdleTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
  if (typingFor === activeId && Date.now() - typingSentAt < TYPING_RESEND_MS) return;
  if (socket.send({ type: "typing", conversation: activeId, typing: true })) {
    typingFor = activeId;
    typingSentAt = Date.now();
  }
}

function stopTyping() {
  clearTimeout(typingIdleTimer);
  if (typingFor !== null) socket.send({ type: "typing", conversation: typingFor, typing: false });
  typingFor = null;
}

// --- actions --------------------------------------------------------------------------------

async function claim() {
  const id = activeId;
  ui.claim.disabled = true;
  try {
    upsert(conversationOf(await api.post(`/conversations/${id}/claim`)));
    list.tab = "mine";
    showTab();
    toast(STRINGS.claimed);
  } catch (err) {
    toast(err.message, true);
  } finally {
    ui.claim.disabled = false;
  }
}

async function closeConversation() {
  const id = activeId;
  try {
    upsert(conversationOf(await api.post(`/conversations/${id}/close`)));
    toast(STRINGS.closed);
  } catch (err) {
    toast(err.message, true);
  }
}

// --- drawing --------------------------------------------------------------------------------

let refreshQueued = false;
function scheduleRefresh() {
  if (refreshQueued) return;
  refreshQueued = true;
  requestAnimationFrame(() => {
    refreshQueued = false;
    refresh();
  });
}

function refresh() {
  list.render(conversations, { activeId, typing: new Set(customerTyping.keys()) });
  drawActive();
  const waiting = Array.from(conversations.values()).filter((c) => c.status === "waiting").length;
  const unread = Array.from(conversations.values()).reduce((n, c) => n + (c.status !== "closed" ? c.unread || 0 : 0), 0);
  document.title = STRINGS.title(unread + waiting, config.shop.name);
}

function canWrite(conv) {
  if (conv.status === "closed") return false;
  if (config.sees_all || conv.status === "waiting") return true;
  return !!conv.assignee && conv.assignee.id === me.member_id;
}

function drawActive() {
  const conv = activeId !== null ? conversations.get(activeId) : null;
  ui.placeholder.hidden = !!conv;
  ui.conv.hidden = !conv;
  if (!conv) return;
  ui.avatar.textContent = avatarText(conv.visitor);
  ui.avatar.style.setProperty("--hue", String(avatarHue(conv.visitor)));
  ui.visitor.textContent = conv.visitor;
  ui.status.textContent = STRINGS.status[conv.status] || conv.status;
  ui.status.className = `chip chip--${conv.status}`;
  ui.assignee.textContent = conv.assignee ? STRINGS.assignee(conv.assignee.name) : STRINGS.unassigned;
  const handles = config.sees_all || (conv.assignee && conv.assignee.id === me.member_id);
  ui.claim.hidden = conv.status !== "waiting";
  ui.transfer.hidden = conv.status === "closed" || !handles;
  ui.close.hidden = conv.status === "closed" || !handles;
  const writable = canWrite(conv);
  ui.input.disabled = !writable;
  ui.send.disabled = !writable;
  ui.locked.hidden = writable;
  if (!writable) {
    ui.locked.textContent = conv.status === "closed"
      ? STRINGS.lockedClosed
      : STRINGS.lockedOther(conv.assignee ? conv.assignee.name : STRINGS.unassigned);
  }
  ui.typing.hidden = !customerTyping.has(conv.id);
  drawFacts(conv);
}

function drawFacts(conv) {
  const fact = (name, text) => {
    ui.facts.querySelector(`[data-fact="${name}"]`).textContent = text || "—";
  };
  fact("visitor", conv.visitor);
  fact("status", STRINGS.status[conv.status]);
  fact("assignee", conv.assignee ? conv.assignee.name : STRINGS.unassigned);
  fact("waiting", conv.waiting_since && conv.status !== "closed" ? waitingText(conv.waiting_since) : "");
  fact("last", conv.last_message_at ? formatClock(conv.last_message_at) : "");
  fact("id", `#${conv.id}`);
  fact("handoff", conv.handoff ? STRINGS.handoff(conv.handoff.from, conv.handoff.note) : "");
}

function showTab() {
  for (const tab of document.querySelectorAll("[data-tab]")) {
    tab.setAttribute("aria-selected", tab.dataset.tab === list.tab ? "true" : "false");
  }
  refresh();
}

function showConnection(state) {
  ui.conn.dataset.state = state;
  ui.connText.textContent = state === "open" ? STRINGS.online
    : state === "retrying" ? STRINGS.retrying : STRINGS.connecting;
}

function updateCounter() {
  const length = ui.input.value.length;
  ui.counter.textContent = length > config.max_chars * 0.8 ? STRINGS.counter(length, config.max_chars) : "";
  ui.counter.classList.toggle("is-over", length > config.max_chars);
}

let toastTimer = null;
function toast(text, isError = false) {
  ui.toast.textContent = text;
  ui.toast.classList.toggle("toast--error", isError);
  ui.toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { ui.toast.hidden = true; }, 3500);
}

// --- wiring ---------------------------------------------------------------------------------

for (const tab of document.querySelectorAll("[data-tab]")) {
  tab.addEventListener("click", () => {
    list.tab = tab.dataset.tab;
    showTab();
  });
}
ui.filter.addEventListener("input", () => {
  list.filter = ui.filter.value;
  refresh();
});
ui.input.addEventListener("keydown", (event) => {
  if (picker.handleKey(event)) {
    event.preventDefault();
    return;
  }
  // isComposing / 229: Enter that picks a 拼音 candidate must not send the half-typed reply.
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
    event.preventDefault();
    sendReply();
  }
});
ui.input.addEventListener("input", () => {
  if (activeId !== null) sessionFor(activeId).draft = ui.input.value;
  picker.update();
  updateCounter();
  noteTyping();
  assist.draftChanged();
});
ui.send.addEventListener("click", () => {
  sendReply();
  ui.input.focus();
});
ui.claim.addEventListener("click", claim);
ui.transfer.addEventListener("click", () => transferDialog.open(activeId));
ui.close.addEventListener("click", () => {
  ui.closeDialog.returnValue = "";
  ui.closeDialog.showModal();
});
ui.closeDialog.addEventListener("close", () => {
  if (ui.closeDialog.returnValue === "close") closeConversation();
});
ui.jump.addEventListener("click", () => {
  sessions.get(activeId)?.messages.scrollToBottom();
  ui.jump.hidden = true;
});
new MutationObserver(() => {
  const session = sessions.get(activeId);
  if (session && !session.messages.isNearBottom()) ui.jump.hidden = false;
}).observe(ui.histories, { childList: true, subtree: true });
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible" && activeId !== null) markRead(activeId);
});
// Waiting times ("等待 2分钟") move on by themselves.
setInterval(refresh, CLOCK_TICK_MS);

showTab();
socket.connect();
