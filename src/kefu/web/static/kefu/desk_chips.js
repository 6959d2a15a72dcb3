// Chips beside each customer message: what the coach read (intent, objection type,
// emotion). They come from meta.coach in history and from live `analysis` frames
// (docs/coach-desk.md). Clicking a chip opens a small menu to correct it: POST
// /api/messages/<id>/correct, and the chip shows the stored answer.
// messages.js is shared with the widget, so the chips are added here, on the rows it drew.

import { FIELDS, labelName } from "./desk_coach_labels.js";

const STRINGS = {
  pick: "选类型",
  unsure: "（不太确定）",
  corrected: "已人工更正",
  confidence: (p) => `把握 ${Math.round(p * 100)}%`,
  clickToFix: "点击更正",
  menuHead: (title) => `更正${title}`,
  saved: "已更正，识别会越来越准。",
};

const UNSURE_BELOW = 0.55;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

/** "价格异议" -> "价格": the pair chip already says 异议. */
function shortObjection(name) {
  return name.length > 2 && name.endsWith("异议") ? name.slice(0, -2) : name;
}

export class CoachChips {
  /**
   * @param {{menu: HTMLElement, menuHead: HTMLElement, menuList: HTMLElement, api: object,
   *   toast: (text: string, isError?: boolean) => void, onChange?: (frame: object) => void}} options
   */
  constructor({ menu, menuHead, menuList, api, toast, onChange }) {
    this.menu = menu;
    this.menuHead = menuHead;
    this.menuList = menuList;
    this.api = api;
    this.toast = toast;
    this.onChange = onChange || (() => {});
    this.latest = new Map(); // message id -> COACH (the newest reading seen)
    this.rows = new Map(); // message id -> the message row element
    this.menuFor = null; // {messageId, field}
    menuList.addEventListener("click", (event) => {
      const item = event.target.closest("[data-value]");
      if (item) this.correct(item.dataset.value);
    });
    menuList.addEventListener("keydown", (event) => this.menuKey(event));
    document.addEventListener("mousedown", (event) => {
      if (!this.menu.hidden && !this.menu.contains(event.target) && !event.target.closest(".coach-chip")) {
        this.closeMenu();
      }
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && !this.menu.hidden) this.closeMenu(true);
    });
    window.addEventListener("resize", () => this.closeMenu());
  }

  /** A message row was drawn (history or live): remember it and draw its chips. */
  decorate(node, message) {
    if (!node || !message || typeof message.id !== "number") return;
    node.dataset.messageId = String(message.id);
    if (message.sender !== "customer") return;
    this.rows.set(message.id, node);
    const sent = message.meta && message.meta.coach;
    if (sent && !this.latest.has(message.id)) this.latest.set(message.id, sent);
    const coach = this.latest.get(message.id);
    if (coach) this.draw(node, message.id, coach);
  }

  /** An `analysis` frame: the reading of one message (new, or corrected by someone). */
  apply(frame) {
    if (!frame || typeof frame.message_id !== "number" || !frame.coach) return;
    this.latest.set(frame.message_id, frame.coach);
    const node = this.rows.get(frame.message_id);
    if (node && node.isConnected) this.draw(node, frame.message_id, frame.coach);
  }

  coachOf(messageId) {
    return this.latest.get(messageId) || null;
  }

  draw(node, messageId, coach) {
    node.querySelector(".coach-chips")?.remove();
    const row = el("div", "coach-chips");
    row.dataset.intent = coach.intent || "";
    row.dataset.objectionType = coach.objection_type || "";
    row.dataset.emotion = coach.emotion || "";
    if (coach.corrected) row.classList.add("is-corrected");
    const pair = el("span", "coach-chip-pair");
    pair.append(this.chip(messageId, coach, "intent", labelName(coach, "intent")));
    if (coach.intent === "objection") {
      const name = labelName(coach, "objection_type");
      pair.append(el("span", "coach-chip-pair__dot", "·"));
      pair.append(this.chip(messageId, coach, "objection_type", name ? shortObjection(name) : STRINGS.pick));
    }
    row.append(pair);
    if (coach.emotion) row.append(this.chip(messageId, coach, "emotion", labelName(coach, "emotion")));
    if (coach.corrected) {
      const mark = el("span", "coach-chips__mark", "✓");
      mark.title = STRINGS.corrected;
      row.append(mark);
    }
    node.querySelector(".msg__bubble")?.after(row);
  }

  chip(messageId, coach, field, text) {
    const button = el("button", `coach-chip coach-chip--${field}`, text);
    button.type = "button";
    button.dataset.field = field;
    button.dataset.messageId = String(messageId);
    const value = coach[field];
    if (value) button.dataset.value = value;
    if (field === "emotion" && value) button.classList.add(`coach-chip--emotion-${value}`);
    if (field === "objection_type" && !value) button.classList.add("is-empty");
    const confidence = coach.confidence && coach.confidence[field];
    const unsure = typeof confidence === "number" && confidence < UNSURE_BELOW && !coach.corrected;
    if (unsure) button.classList.add("is-unsure");
    const full = labelName(coach, field);
    const parts = [`${FIELDS[field].title}：${full || "—"}`];
    if (coach.corrected) parts.push(STRINGS.corrected);
    else if (typeof confidence === "number") parts.push(STRINGS.confidence(confidence) + (unsure ? STRINGS.unsure : ""));
    parts.push(STRINGS.clickToFix);
    button.title = parts.join(" · ");
    button.setAttribute("aria-haspopup", "menu");
    button.addEventListener("click", (event) => {
      event.stopPropagation();
      this.openMenu(button, messageId, field);
    });
    return button;
  }

  openMenu(anchor, messageId, field) {
    const coach = this.latest.get(messageId) || {};
    this.menuFor = { messageId, field, anchor };
    this.menuHead.textContent = STRINGS.menuHead(FIELDS[field].title);
    const names = FIELDS[field].names;
    this.menuList.replaceChildren(...Object.entries(names).map(([id, name]) => {
      const li = el("li");
      const item = el("button", "chip-menu__item", name);
      item.type = "button";
      item.dataset.value = id;
      item.setAttribute("role", "menuitemradio");
      item.setAttribute("aria-checked", coach[field] === id ? "true" : "false");
      li.append(item);
      return li;
    }));
    this.menu.hidden = false;
    const box = anchor.getBoundingClientRect();
    const menuBox = this.menu.getBoundingClientRect();
    const left = Math.min(box.left, window.innerWidth - menuBox.width - 8);
    const below = box.bottom + 4;
    const top = below + menuBox.height > window.innerHeight - 8 ? box.top - menuBox.height - 4 : below;
    this.menu.style.setProperty("left", `${Math.max(8, left)}px`);
    this.menu.style.setProperty("top", `${Math.max(8, top)}px`);
    (this.menuList.querySelector('[aria-checked="true"]') || this.menuList.querySelector("button"))?.focus();
  }

  menuKey(event) {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    event.preventDefault();
    const items = Array.from(this.menuList.querySelectorAll("button"));
    const at = items.indexOf(document.activeElement);
    const next = (at + (event.key === "ArrowDown" ? 1 : -1) + items.length) % items.length;
    items[next].focus();
  }

  closeMenu(restoreFocus = false) {
    if (this.menu.hidden) return;
    this.menu.hidden = true;
    if (restoreFocus && this.menuFor && this.menuFor.anchor.isConnected) this.menuFor.anchor.focus();
    this.menuFor = null;
  }

  async correct(value) {
    if (!this.menuFor) return;
    const { messageId, field } = this.menuFor;
    this.closeMenu();
    const current = this.latest.get(messageId);
    if (current && current[field] === value) return;
    try {
      const data = await this.api.post(`/messages/${messageId}/correct`, { field, value });
      if (data && data.coach) {
        const node = this.rows.get(messageId);
        const frame = {
          message_id: messageId,
          conversation: node ? Number(node.dataset.conv) : null,
          seq: node ? Number(node.dataset.seq) : null,
          coach: data.coach,
        };
        this.apply(frame);
        this.onChange(frame);
      }
      this.toast(STRINGS.saved);
    } catch (err) {
      this.toast(err.message, true);
    }
  }
}
