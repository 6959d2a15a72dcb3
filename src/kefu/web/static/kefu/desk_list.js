// The workbench's conversation list: tabs 排队中 / 我的 / 全部, one row per conversation
// with unread badge, preview, live waiting time and assignee. Text goes in as textContent.

const STRINGS = {
  waitingUnderMinute: "等待 不到1分钟",
  waitingMinutes: (m) => `等待 ${m}分钟`,
  waitingHours: (h, m) => (m ? `等待 ${h}小时${m}分` : `等待 ${h}小时`),
  unassigned: "未分配",
  typing: "正在输入…",
  closed: "已结束",
  noMessages: "（还没有消息）",
  mood: { angry: "顾客很生气，先安抚情绪", dissatisfied: "顾客有些不满，注意语气" },
  moodShort: { angry: "生气", dissatisfied: "不满" },
};

const LATE_AFTER_S = 120;
const VERY_LATE_AFTER_S = 300;

export function waitingText(since, now = Date.now()) {
  const seconds = Math.max(0, (now - new Date(since).getTime()) / 1000);
  if (seconds < 60) return STRINGS.waitingUnderMinute;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return STRINGS.waitingMinutes(minutes);
  return STRINGS.waitingHours(Math.floor(minutes / 60), minutes % 60);
}

export function waitingSeconds(since, now = Date.now()) {
  return Math.max(0, (now - new Date(since).getTime()) / 1000);
}

/** "10:02" today, "11/20" before. */
export function shortTime(iso) {
  if (!iso) return "";
  const when = new Date(iso);
  const now = new Date();
  if (when.toDateString() === now.toDateString()) {
    return `${String(when.getHours()).padStart(2, "0")}:${String(when.getMinutes()).padStart(2, "0")}`;
  }
  return `${when.getMonth() + 1}/${when.getDate()}`;
}

/** Two characters that tell visitors apart at a glance ("访客3F2A" -> "2A"). */
export function avatarText(name) {
  const text = String(name || "?");
  return /^访客/.test(text) && text.length > 3 ? text.slice(-2) : text.slice(0, 1);
}

export function avatarHue(name) {
  let hash = 0;
  for (const ch of String(name || "")) hash = (hash * 31 + ch.codePointAt(0)) % 360;
  return hash;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

const byLastMessageDesc = (a, b) =>
  String(b.last_message_at || "").localeCompare(String(a.last_message_at || "")) || b.id - a.id;
const byWaitingAsc = (a, b) =>
  String(a.waiting_since || a.last_message_at || "").localeCompare(
    String(b.waiting_since || b.last_message_at || ""),
  ) || a.id - b.id;

export class ConversationList {
  constructor({ listEl, emptyEl, countEls, meId, onSelect }) {
    this.listEl = listEl;
    this.emptyEl = emptyEl;
    this.countEls = countEls;
    this.meId = meId;
    this.tab = "waiting";
    this.filter = "";
    listEl.addEventListener("click", (event) => {
      const row = event.target.closest(".conv");
      if (row) onSelect(Number(row.dataset.id));
    });
    listEl.addEventListener("keydown", (event) => {
      const row = event.target.closest(".conv");
      if (row && (event.key === "Enter" || event.key === " ")) {
        event.preventDefault();
        onSelect(Number(row.dataset.id));
      }
    });
  }

  inTab(conv, tab) {
    if (tab === "waiting") return conv.status === "waiting";
    if (tab === "mine") return conv.status !== "closed" && conv.assignee && conv.assignee.id === this.meId;
    return true;
  }

  /** @param {Map<number, object>} conversations  @param {{activeId, typing: Set<number>}} view */
  render(conversations, { activeId, typing }) {
    const all = Array.from(conversations.values());
    for (const tab of ["waiting", "mine", "all"]) {
      const count = all.filter((c) => this.inTab(c, tab) && c.status !== "closed").length;
      this.countEls[tab].textContent = String(count);
      this.countEls[tab].classList.toggle("is-hot", tab === "waiting" && count > 0);
    }
    const needle = this.filter.trim().toLowerCase();
    let rows = all.filter((c) => this.inTab(c, this.tab));
    if (needle) {
      rows = rows.filter((c) =>
        `${c.visitor || ""} ${c.last_message_preview || ""}`.toLowerCase().includes(needle));
    }
    rows.sort(this.tab === "waiting" ? byWaitingAsc : byLastMessageDesc);
    if (this.tab === "all") rows.sort((a, b) => (a.status === "closed") - (b.status === "closed"));
    const now = Date.now();
    this.listEl.replaceChildren(...rows.map((c) => this.row(c, c.id === activeId, typing.has(c.id), now)));
    this.emptyEl.hidden = rows.length > 0;
  }

  row(conv, active, typing, now) {
    const row = el("li", `conv conv--${conv.status}${active ? " is-active" : ""}`);
    row.dataset.id = String(conv.id);
    row.tabIndex = 0;
    row.setAttribute("role", "option");
    row.setAttribute("aria-selected", active ? "true" : "false");

    const avatar = el("span", "avatar", avatarText(conv.visitor));
    avatar.style.setProperty("--hue", String(avatarHue(conv.visitor)));
    row.append(avatar);

    const main = el("div", "conv__main");
    const top = el("div", "conv__line");
    top.append(el("span", "conv__name", conv.visitor));
    if (STRINGS.mood[conv.mood] && conv.status !== "closed") {
      // The latest customer message read angry or dissatisfied (CONV.mood): handle with care.
      row.classList.add(`conv--mood-${conv.mood}`);
      const flag = el("span", `conv__mood conv__mood--${conv.mood}`, STRINGS.moodShort[conv.mood]);
      flag.title = STRINGS.mood[conv.mood];
      flag.setAttribute("aria-label", STRINGS.mood[conv.mood]);
      flag.dataset.mood = conv.mood;
      top.append(flag);
    }
    top.append(el("span", "conv__time", shortTime(conv.last_message_at)));
    const mid = el("div", "conv__line");
    const preview = typing
      ? el("span", "conv__preview conv__preview--typing", STRINGS.typing)
      : el("span", "conv__preview", conv.last_message_preview || STRINGS.noMessages);
    mid.append(preview);
    if (conv.unread > 0 && !active) mid.append(el("span", "badge", conv.unread > 99 ? "99+" : String(conv.unread)));
    const bottom = el("div", "conv__line conv__line--meta");
    if (conv.status === "closed") {
      bottom.append(el("span", "conv__wait", STRINGS.closed));
    } else if (conv.waiting_since) {
      const seconds = waitingSeconds(conv.waiting_since, now);
      const late = seconds > VERY_LATE_AFTER_S ? " is-very-late" : seconds > LATE_AFTER_S ? " is-late" : "";
      bottom.append(el("span", `conv__wait${late}`, waitingText(conv.waiting_since, now)));
    } else {
      bottom.append(el("span", "conv__wait"));
    }
    bottom.append(el("span", "conv__assignee", conv.assignee ? conv.assignee.name : STRINGS.unassigned));
    main.append(top, mid, bottom);
    row.append(main);
    return row;
  }
}
