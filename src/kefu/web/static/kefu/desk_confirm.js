// "Send anyway?": the server refused an agent reply with error needs_confirmation and its
// findings (docs/coach-desk.md). The dialog lists them; 仍要发送 resends the same client_id
// with confirm: true, 返回修改 leaves the text in the draft to be edited.

import { SEVERITIES } from "./desk_coach_labels.js";
import { findingTitle } from "./desk_check.js";

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

export class ConfirmDialog {
  /** @param {{dialog: HTMLDialogElement, message: HTMLElement, text: HTMLElement, list: HTMLElement}} els */
  constructor({ dialog, message, text, list }) {
    this.dialog = dialog;
    this.message = message;
    this.text = text;
    this.list = list;
    this.queue = []; // refusals waiting their turn: one dialog at a time
    this.current = null;
    dialog.addEventListener("close", () => {
      const item = this.current;
      this.current = null;
      if (item) {
        if (dialog.returnValue === "send") item.onSend();
        else item.onEdit();
      }
      this.next();
    });
  }

  /**
   * @param {{text: string, message: string, findings: object[], onSend: () => void, onEdit: () => void}} item
   */
  ask(item) {
    this.queue.push(item);
    if (!this.current) this.next();
  }

  next() {
    const item = this.queue.shift();
    if (!item) return;
    this.current = item;
    this.message.textContent = item.message || "";
    this.text.textContent = item.text;
    this.list.replaceChildren(...(item.findings || []).map((finding) => {
      const li = el("li", `confirm__finding is-${finding.severity || "low"}`);
      li.append(el("span", "draft-check__sev", SEVERITIES[finding.severity] || finding.severity || ""));
      li.append(el("span", null, findingTitle(finding)));
      return li;
    }));
    this.dialog.returnValue = "";
    this.dialog.showModal();
    this.dialog.querySelector('[data-action="confirm-edit"]').focus();
  }
}
