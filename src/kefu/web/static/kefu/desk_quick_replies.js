// Quick replies in the reply box: typing "/" and a keyword opens a picker filled from
// GET /api/quick-replies?q=…&conversation=… (the server fills {客户} {客服} {店铺});
// ↑/↓ choose, Enter/Tab or a click inserts the text in place of "/keyword", Esc closes.

import { listOf } from "./desk_api.js";

const STRINGS = {
  loading: "正在查找…",
  failed: "快捷回复加载失败",
};

const TOKEN = /(?:^|\s)\/([^\s/]{0,20})$/;
const DEBOUNCE_MS = 120;

export class QuickReplyPicker {
  constructor({ input, box, listEl, emptyEl, api, conversationId }) {
    this.input = input;
    this.box = box;
    this.listEl = listEl;
    this.emptyEl = emptyEl;
    this.noMatchText = emptyEl.textContent; // the template's translated "no match"
    this.api = api;
    this.conversationId = conversationId;
    this.items = [];
    this.selected = 0;
    this.token = null; // {start, end} of "/keyword" in the input
    this.requestNo = 0;
    this.timer = null;
    listEl.addEventListener("mousedown", (event) => {
      const li = event.target.closest("li[data-index]");
      if (!li) return;
      event.preventDefault(); // keep the caret in the textarea
      this.insert(Number(li.dataset.index));
    });
    input.addEventListener("blur", () => setTimeout(() => this.close(), 150));
  }

  isOpen() {
    return !this.box.hidden;
  }

  /** Call on every input event. */
  update() {
    const caret = this.input.selectionStart;
    const before = this.input.value.slice(0, caret);
    const match = TOKEN.exec(before);
    if (!match) {
      this.close();
      return;
    }
    const query = match[1];
    this.token = { start: caret - query.length - 1, end: caret };
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.search(query), DEBOUNCE_MS);
  }

  async search(query) {
    const requestNo = ++this.requestNo;
    const params = new URLSearchParams({ q: query });
    const conversation = this.conversationId();
    if (conversation) params.set("conversation", String(conversation));
    this.show();
    if (!this.items.length) this.setEmpty(STRINGS.loading);
    try {
      const data = await this.api.get(`/quick-replies?${params}`);
      if (requestNo !== this.requestNo) return; // a newer keystroke already asked
      this.items = listOf(data, "quick_replies");
      this.selected = 0;
      this.renderItems();
    } catch (err) {
      if (requestNo !== this.requestNo) return;
      this.items = [];
      this.renderItems();
      this.setEmpty(err.message || STRINGS.failed);
    }
  }

  /** Returns true when the key was the picker's to handle. */
  handleKey(event) {
    if (!this.isOpen()) return false;
    if (event.key === "Escape") {
      this.close();
      return true;
    }
    if (!this.items.length) return false;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      const step = event.key === "ArrowDown" ? 1 : -1;
      this.selected = (this.selected + step + this.items.length) % this.items.length;
      this.renderItems();
      return true;
    }
    if ((event.key === "Enter" || event.key === "Tab") && !event.isComposing) {
      this.insert(this.selected);
      return true;
    }
    return false;
  }

  insert(index) {
    const item = this.items[index];
    if (!item || !this.token) return;
    const value = this.input.value;
    const text = String(item.text || "");
    this.input.value = value.slice(0, this.token.start) + text + value.slice(this.token.end);
    const caret = this.token.start + text.length;
    this.input.setSelectionRange(caret, caret);
    this.close();
    this.input.focus();
    this.input.dispatchEvent(new Event("input", { bubbles: true }));
  }

  show() {
    this.box.hidden = false;
  }

  close() {
    clearTimeout(this.timer);
    this.requestNo += 1;
    this.box.hidden = true;
    this.items = [];
    this.token = null;
  }

  setEmpty(text) {
    this.emptyEl.textContent = text;
    this.emptyEl.hidden = false;
  }

  renderItems() {
    this.emptyEl.hidden = this.items.length > 0;
    if (!this.items.length) this.emptyEl.textContent = this.noMatchText;
    this.listEl.replaceChildren(...this.items.map((item, index) => {
      const li = document.createElement("li");
      li.className = `qr__item${index === this.selected ? " is-selected" : ""}`;
      li.dataset.index = String(index);
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", index === this.selected ? "true" : "false");
      const keyword = document.createElement("code");
      keyword.className = "qr__kw";
      keyword.textContent = `/${item.keyword || ""}`;
      const text = document.createElement("span");
      text.className = "qr__text";
      text.textContent = String(item.text || "");
      li.append(keyword, text);
      return li;
    }));
    this.listEl.querySelector(".is-selected")?.scrollIntoView({ block: "nearest" });
  }
}
