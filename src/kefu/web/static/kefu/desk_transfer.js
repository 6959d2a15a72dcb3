// The 转接 dialog: pick a colleague from GET /api/members (online state and load shown),
// add a note, POST /api/conversations/<id>/transfer.

import { listOf } from "./desk_api.js";

const STRINGS = {
  online: "在线",
  offline: "离线",
  load: (n, cap) => (cap ? `接待 ${n}/${cap}` : `接待 ${n}`),
  pickSomeone: "请先选择一位同事。",
  loading: "正在加载同事列表…",
  roles: { owner: "店主", supervisor: "主管", agent: "客服" },
};

export class TransferDialog {
  constructor({ dialog, api, meId, onDone }) {
    this.dialog = dialog;
    this.api = api;
    this.meId = meId;
    this.onDone = onDone;
    this.conversationId = null;
    const $ = (role) => dialog.querySelector(`[data-role="${role}"]`);
    this.listEl = $("colleagues");
    this.emptyEl = $("colleagues-empty");
    this.noteEl = $("transfer-note");
    this.errorEl = $("transfer-error");
    this.form = $("transfer-form");
    this.confirm = dialog.querySelector('[data-action="transfer-confirm"]');
    dialog.querySelector('[data-action="transfer-cancel"]').addEventListener("click", () => dialog.close());
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
  }

  async open(conversationId) {
    this.conversationId = conversationId;
    this.noteEl.value = "";
    this.showError("");
    this.emptyEl.hidden = true;
    this.listEl.replaceChildren(Object.assign(document.createElement("li"), {
      className: "muted", textContent: STRINGS.loading,
    }));
    this.dialog.showModal();
    try {
      const members = listOf(await this.api.get("/members"), "members")
        .filter((m) => m.id !== this.meId && m.active !== false && m.is_active !== false);
      this.render(members);
    } catch (err) {
      this.listEl.replaceChildren();
      this.showError(err.message);
    }
  }

  render(members) {
    this.emptyEl.hidden = members.length > 0;
    // Online colleagues first, then the least busy.
    members.sort((a, b) => (b.online === true) - (a.online === true) || loadOf(a) - loadOf(b));
    this.listEl.replaceChildren(...members.map((m, index) => {
      const li = document.createElement("li");
      const label = document.createElement("label");
      label.className = `colleague${m.online ? " is-online" : ""}`;
      const radio = document.createElement("input");
      radio.type = "radio";
      radio.name = "to_member";
      radio.value = String(m.id);
      if (index === 0 && m.online) radio.checked = true;
      const dot = document.createElement("span");
      dot.className = "presence-dot";
      const name = document.createElement("span");
      name.className = "colleague__name";
      name.textContent = m.name || m.display_name || "";
      const meta = document.createElement("span");
      meta.className = "colleague__meta";
      const role = STRINGS.roles[m.role] || "";
      const state = m.online ? STRINGS.online : STRINGS.offline;
      meta.textContent = [role, state, STRINGS.load(loadOf(m), m.capacity)].filter(Boolean).join(" · ");
      label.append(radio, dot, name, meta);
      li.append(label);
      return li;
    }));
  }

  async submit() {
    const picked = this.form.querySelector('input[name="to_member"]:checked');
    if (!picked) {
      this.showError(STRINGS.pickSomeone);
      return;
    }
    this.confirm.disabled = true;
    try {
      const data = await this.api.post(`/conversations/${this.conversationId}/transfer`, {
        to_member: Number(picked.value),
        note: this.noteEl.value.trim(),
      });
      const name = picked.closest("label").querySelector(".colleague__name").textContent;
      this.dialog.close();
      this.onDone(data, name);
    } catch (err) {
      this.showError(err.message);
    } finally {
      this.confirm.disabled = false;
    }
  }

  showError(text) {
    this.errorEl.textContent = text;
    this.errorEl.hidden = !text;
  }
}

function loadOf(member) {
  return Number(member.open_chats ?? member.load ?? member.open ?? 0);
}
