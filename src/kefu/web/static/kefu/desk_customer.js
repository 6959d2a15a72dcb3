// The 客户档案 tab of the workbench's side panel: who the selected conversation is with
// (docs/protocol.md, "Customer panel"). Unlinked, it offers search-and-link and a quick
// create; linked, it shows segment and reason, types with tactics (editable inline), orders,
// refunds, complaints, tags and notes. Everything a customer or colleague typed goes in
// as text (textContent), never as markup.

import { ApiError } from "./desk_api.js";

const STRINGS = {
  newVisitor: "新访客",
  newVisitorHint: "第一次来咨询，还没有关联客户档案。",
  returning: "老访客（未关联客户）",
  returningHint: (n) => `已来咨询 ${n} 次，还没有关联客户档案。`,
  noResults: "没有找到匹配的客户，可以新建客户档案。",
  orders: (n) => `累计 ${n} 单`,
  unset: "未设置",
  noOrders: "还没有订单记录。",
  noNotes: "还没有备注。",
  noTags: "还没有标签。",
  linked: (name) => `已关联客户 ${name}。`,
  unlinked: "已解除关联。",
  saved: "已保存。",
  confirmed: (label) => `已确认为${label}。`,
  deleteNote: "删除",
  removeTag: (name) => `移除标签 ${name}`,
  refund: (amount) => `退款 ${amount}`,
  personal: { name: "姓名", phone: "手机", address: "地址", birthday: "生日" },
  masked: "客服只能看到部分个人信息",
  failed: "操作没有成功，请稍后重试。",
  network: "网络异常，请检查网络后重试。",
};

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function shortDate(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

const STATUS_TONE = {
  refunding: "warn", refunded: "muted", closed: "muted", unpaid: "warn",
  paid: "info", shipped: "info", completed: "ok",
};

export class CustomerPanel {
  /** @param {{root: HTMLElement, base: string, csrfToken: string, toast: Function}} options */
  constructor({ root, base, csrfToken, toast }) {
    this.root = root;
    this.base = base;
    this.csrfToken = csrfToken;
    this.toast = toast;
    this.conversation = null;
    this.data = null;
    this.loadSeq = 0;
    const q = (role) => root.querySelector(`[data-role="${role}"]`);
    this.els = {
      empty: q("cust-empty"),
      unlinked: q("cust-unlinked"),
      visitorKind: q("cust-visitor-kind"),
      visitorHint: q("cust-visitor-hint"),
      searchForm: q("cust-search-form"),
      search: q("cust-search"),
      results: q("cust-results"),
      resultsEmpty: q("cust-results-empty"),
      createForm: q("cust-create-form"),
      createNickname: q("cust-create-nickname"),
      linked: q("cust-linked"),
      avatar: q("cust-avatar"),
      nickname: q("cust-nickname"),
      platform: q("cust-platform"),
      segment: q("cust-segment"),
      orderCount: q("cust-order-count"),
      archive: q("cust-archive"),
      reason: q("cust-reason"),
      personal: q("cust-personal"),
      personalNote: q("cust-personal-note"),
      types: q("cust-types"),
      suggestBlock: q("cust-suggest-block"),
      suggest: q("cust-suggest"),
      orders: q("cust-orders"),
      refundsBlock: q("cust-refunds-block"),
      refunds: q("cust-refunds"),
      complaintsBlock: q("cust-complaints-block"),
      complaints: q("cust-complaints"),
      tags: q("cust-tags"),
      tagForm: q("cust-tag-form"),
      tagInput: q("cust-tag-input"),
      noteForm: q("cust-note-form"),
      noteInput: q("cust-note-input"),
      notes: q("cust-notes"),
      unlink: root.querySelector('[data-action="cust-unlink"]'),
      error: q("cust-error"),
    };
    this.wire();
  }

  // --- talking to /api ----------------------------------------------------------------------

  async request(method, path, body) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") {
      headers["X-CSRFToken"] = this.csrfToken;
      headers["Content-Type"] = "application/json";
    }
    let response;
    try {
      response = await fetch(this.base + path, {
        method, headers, credentials: "same-origin",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(STRINGS.network);
    }
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const message = data && data.error && data.error.message;
      throw new ApiError(message || STRINGS.failed, response.status, data && data.error ? data.error.code : "");
    }
    return data;
  }

  /** Run an action; on failure say why under the panel. */
  async act(run) {
    this.showError("");
    try {
      return await run();
    } catch (err) {
      this.showError(err instanceof ApiError ? err.message : STRINGS.failed);
      return null;
    }
  }

  showError(text) {
    this.els.error.textContent = text;
    this.els.error.hidden = !text;
  }

  // --- showing ------------------------------------------------------------------------------

  /** The selected conversation changed (or should be re-read). */
  async show(conversationId) {
    this.conversation = conversationId;
    const seq = ++this.loadSeq;
    this.root.classList.add("is-loading");
    try {
      const data = await this.request("GET", `/conversations/${conversationId}/customer`);
      if (seq !== this.loadSeq) return; // another conversation was chosen meanwhile
      this.showError("");
      this.render(data);
    } catch (err) {
      if (seq === this.loadSeq) this.showError(err instanceof ApiError ? err.message : STRINGS.failed);
    } finally {
      if (seq === this.loadSeq) this.root.classList.remove("is-loading");
    }
  }

  render(data) {
    this.data = data;
    this.els.empty.hidden = true;
    const linked = !!data.customer;
    this.els.unlinked.hidden = linked;
    this.els.linked.hidden = !linked;
    if (linked) this.renderCustomer(data);
    else this.renderVisitor(data);
  }

  renderVisitor(data) {
    const e = this.els;
    e.visitorKind.textContent = data.new_visitor ? STRINGS.newVisitor : STRINGS.returning;
    e.visitorKind.classList.toggle("cust-chip--new", !!data.new_visitor);
    e.visitorHint.textContent = data.new_visitor ? STRINGS.newVisitorHint : STRINGS.returningHint(data.conversations);
    e.results.replaceChildren();
    e.resultsEmpty.hidden = true;
  }

  renderCustomer(data) {
    const e = this.els;
    const c = data.customer;
    e.avatar.textContent = (c.personal.name || c.nickname).slice(0, 1);
    e.nickname.textContent = c.nickname;
    e.platform.textContent = c.platform_label;
    e.segment.textContent = c.segment_label;
    e.segment.className = `cust-chip cust-chip--${c.segment}`;
    e.orderCount.textContent = STRINGS.orders(c.total_orders);
    e.archive.href = c.archive_url;
    e.reason.textContent = data.segment_reason;

    e.personal.replaceChildren();
    for (const key of ["name", "phone", "address", "birthday"]) {
      if (!c.personal[key]) continue;
      e.personal.append(el("dt", "", STRINGS.personal[key]), el("dd", "", c.personal[key]));
    }
    e.personal.hidden = !e.personal.children.length;
    e.personalNote.hidden = data.can_edit_personal || !e.personal.children.length;

    this.renderTypes(data);
    this.renderSuggestion(data);
    this.renderOrders(e.orders, data.recent_orders, STRINGS.noOrders);
    e.refundsBlock.hidden = !data.open_refunds.length;
    this.renderOrders(e.refunds, data.open_refunds, "");
    e.complaintsBlock.hidden = !data.complaints.length;
    e.complaints.replaceChildren(...data.complaints.map((item) => {
      const li = el("li", "cust-complaint");
      li.append(el("span", "cust-complaint__text", item.text), el("time", "cust-complaint__time muted", shortDate(item.created_at)));
      return li;
    }));
    this.renderTags(data.tags);
    this.renderNotes(data.notes);
  }

  renderTypes(data) {
    const set = new Map(data.types.map((t) => [t.field, t]));
    const rows = Object.entries(data.type_choices).map(([field, info]) => {
      const row = el("div", "cust-type");
      const id = `cust-type-${field}`;
      const label = el("label", "cust-type__kind", info.kind);
      label.htmlFor = id;
      const select = el("select", "cust-type__select");
      select.id = id;
      select.dataset.field = field;
      select.append(new Option(STRINGS.unset, ""));
      for (const choice of info.choices) select.append(new Option(choice.label, choice.value));
      const card = set.get(field);
      select.value = card ? card.value : "";
      select.classList.toggle("is-unset", !card);
      select.addEventListener("change", () => this.saveType(field, select.value));
      row.append(label, select);
      if (card && card.tactic) row.append(el("p", "cust-type__tactic", card.tactic));
      return row;
    });
    this.els.types.replaceChildren(...rows);
  }

  renderSuggestion(data) {
    const s = data.suggested_buying;
    this.els.suggestBlock.hidden = !s;
    this.els.suggest.replaceChildren();
    if (!s) return;
    const text = el("p", "cust-suggest__text");
    text.append(el("strong", "", s.label), document.createTextNode(`：${s.reason}`));
    const button = el("button", "btn btn--sm btn--primary", "确认");
    button.type = "button";
    button.dataset.action = "cust-confirm-suggestion";
    button.addEventListener("click", async () => {
      const done = await this.act(async () => {
        await this.request("POST", `/customers/${this.data.customer.id}/buying/confirm`);
        await this.show(this.conversation);
        return true;
      });
      if (done) this.toast(STRINGS.confirmed(s.label));
    });
    this.els.suggest.append(text, button);
  }

  renderOrders(list, orders, emptyText) {
    if (!orders.length) {
      list.replaceChildren(...(emptyText ? [el("li", "cust-orders__none muted", emptyText)] : []));
      return;
    }
    list.replaceChildren(...orders.map((o) => {
      const li = el("li", "cust-order");
      const top = el("div", "cust-order__top");
      top.append(
        el("span", "cust-order__title", o.title || o.order_no),
        el("span", "cust-order__amount", o.amount_text),
      );
      const bottom = el("div", "cust-order__bottom");
      const status = el("span", `cust-status cust-status--${STATUS_TONE[o.status] || "muted"}`, o.status_label);
      bottom.append(status, el("span", "cust-order__no", o.order_no), el("time", "", shortDate(o.created_at)));
      if (o.refund_text) bottom.append(el("span", "cust-order__refund", STRINGS.refund(o.refund_text)));
      li.append(top, bottom);
      return li;
    }));
  }

  renderTags(tags) {
    const items = tags.map((name) => {
      const tag = el("span", "cust-tag", name);
      const remove = el("button", "cust-tag__remove", "×");
      remove.type = "button";
      remove.setAttribute("aria-label", STRINGS.removeTag(name));
      remove.addEventListener("click", () => this.act(async () => {
        const data = await this.request("DELETE", `/customers/${this.data.customer.id}/tags/${encodeURIComponent(name)}`);
        this.data.tags = data.tags;
        this.renderTags(data.tags);
      }));
      tag.append(remove);
      return tag;
    });
    this.els.tags.replaceChildren(...(items.length ? items : [el("span", "muted", STRINGS.noTags)]));
  }

  renderNotes(notes) {
    if (!notes.length) {
      this.els.notes.replaceChildren(el("li", "cust-notes__none muted", STRINGS.noNotes));
      return;
    }
    this.els.notes.replaceChildren(...notes.map((n) => {
      const li = el("li", "cust-note");
      li.dataset.noteId = String(n.id);
      li.append(el("p", "cust-note__text", n.text));
      const meta = el("p", "cust-note__meta muted");
      meta.append(el("span", "", `${n.author} · ${shortDate(n.created_at)}`));
      if (n.can_delete) {
        const del = el("button", "cust-note__delete", STRINGS.deleteNote);
        del.type = "button";
        del.addEventListener("click", () => this.act(async () => {
          await this.request("DELETE", `/customers/${this.data.customer.id}/notes/${n.id}`);
          this.data.notes = this.data.notes.filter((x) => x.id !== n.id);
          this.renderNotes(this.data.notes);
        }));
        meta.append(del);
      }
      li.append(meta);
      return li;
    }));
  }

  // --- actions ------------------------------------------------------------------------------

  async patch(changes) {
    await this.request("PATCH", `/customers/${this.data.customer.id}`, changes);
    await this.show(this.conversation); // tactics, suggestion and reason follow the change
    return true;
  }

  async saveType(field, value) {
    const done = await this.act(() => this.patch({ [field]: value }));
    if (done) this.toast(STRINGS.saved);
    else if (this.data) this.renderTypes(this.data); // put the select back
  }

  async search() {
    const q = this.els.search.value.trim();
    const data = await this.act(() => this.request("GET", `/customers/search?q=${encodeURIComponent(q)}`));
    if (!data) return;
    const e = this.els;
    e.resultsEmpty.hidden = data.customers.length > 0;
    e.results.replaceChildren(...data.customers.map((c) => {
      const li = el("li", "cust-result");
      const button = el("button", "cust-result__button");
      button.type = "button";
      const who = el("span", "cust-result__who");
      who.append(el("strong", "", c.nickname), el("span", "cust-result__platform muted", c.platform_label));
      const facts = el("span", "cust-result__facts muted");
      facts.append(
        el("span", `cust-chip cust-chip--${c.segment}`, c.segment_label),
        document.createTextNode(` ${c.personal.phone || ""} · ${STRINGS.orders(c.total_orders)}`),
      );
      button.append(who, facts);
      button.addEventListener("click", () => this.link(c));
      li.append(button);
      return li;
    }));
  }

  async link(customer) {
    const data = await this.act(() => this.request("POST", `/conversations/${this.conversation}/customer`, { customer_id: customer.id }));
    if (!data) return;
    this.els.search.value = "";
    this.render(data);
    this.toast(STRINGS.linked(customer.nickname));
  }

  wire() {
    const e = this.els;
    e.searchForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.search();
    });
    e.createForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const nickname = e.createNickname.value.trim();
      const data = await this.act(() => this.request("POST", `/conversations/${this.conversation}/customer/new`, { nickname }));
      if (!data) return;
      e.createNickname.value = "";
      this.render(data);
      this.toast(STRINGS.linked(nickname));
    });
    e.unlink.addEventListener("click", async () => {
      const data = await this.act(() => this.request("DELETE", `/conversations/${this.conversation}/customer`));
      if (!data) return;
      this.render(data);
      this.toast(STRINGS.unlinked);
    });
    e.tagForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const name = e.tagInput.value.trim();
      if (!name) return;
      this.act(async () => {
        const data = await this.request("POST", `/customers/${this.data.customer.id}/tags`, { name });
        e.tagInput.value = "";
        this.data.tags = data.tags;
        this.renderTags(data.tags);
      });
    });
    e.noteForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = e.noteInput.value.trim();
      if (!text) return;
      this.act(async () => {
        const data = await this.request("POST", `/customers/${this.data.customer.id}/notes`, { text });
        e.noteInput.value = "";
        this.data.notes = [data.note, ...this.data.notes];
        this.renderNotes(this.data.notes);
      });
    });
    e.noteInput.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) e.noteForm.requestSubmit();
    });
  }
}
