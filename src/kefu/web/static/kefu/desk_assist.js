// The coach in the workbench, wired to the page in one place: chips on customer messages,
// the suggestions panel with its handling guide and bargaining panel, the pre-send check
// under the draft and the "send anyway?" dialog. desk.js hands it the frames and events it
// needs and gets back "put this text in the draft".

import { BargainPanel } from "./desk_bargain.js";
import { DraftChecker } from "./desk_check.js";
import { CoachChips } from "./desk_chips.js";
import { MOODS_NEEDING_CARE } from "./desk_coach_labels.js";
import { CoachPanel } from "./desk_coach.js";
import { ConfirmDialog } from "./desk_confirm.js";

const VARIABLE = /\{[^{}\s]{1,8}\}/;

const $ = (role) => document.querySelector(`[data-role="${role}"]`);

/**
 * @param {{api: object, input: HTMLTextAreaElement, toast: (text: string, isError?: boolean) => void,
 *   activeId: () => number|null, conversations: Map<number, object>, onMood: () => void}} options
 */
export function createAssist({ api, input, toast, activeId, conversations, onMood }) {
  const lastCustomerSeq = new Map(); // conversation -> highest customer seq seen

  /** Puts text into the draft at the caret (or as the draft when empty); never sends. */
  function insert(text) {
    if (!text || input.disabled) return;
    const start = input.selectionStart ?? input.value.length;
    const end = input.selectionEnd ?? input.value.length;
    const empty = !input.value.trim();
    const before = empty ? "" : input.value.slice(0, start);
    const after = empty ? "" : input.value.slice(end);
    input.value = before + text + after;
    // Leave the first unfilled {变量} selected: typing replaces it.
    const inserted = VARIABLE.exec(text);
    input.focus();
    if (inserted) input.setSelectionRange(before.length + inserted.index, before.length + inserted.index + inserted[0].length);
    else input.setSelectionRange(before.length + text.length, before.length + text.length);
    input.dispatchEvent(new Event("input", { bubbles: true }));
  }

  const chips = new CoachChips({
    menu: $("chip-menu"),
    menuHead: $("chip-menu-head"),
    menuList: $("chip-menu-list"),
    api,
    toast,
    onChange: (frame) => analysisChanged(frame),
  });
  const bargain = new BargainPanel({
    root: $("bargain"),
    product: $("bargain-product"),
    prices: $("bargain-prices"),
    rounds: $("bargain-rounds"),
    customerType: $("bargain-type"),
    button: document.querySelector('[data-action="bargain-next"]'),
    error: $("bargain-error"),
    result: $("bargain-result"),
    none: $("bargain-none"),
    flag: $("bargain-flag"),
    api,
    onInsert: insert,
    onProduct: () => {
      if (activeId() !== null) panel.invalidate(activeId());
    },
  });
  const panel = new CoachPanel({
    els: {
      root: $("coach"),
      empty: $("coach-empty"),
      body: $("coach-body"),
      reading: $("coach-reading"),
      guideBlock: $("coach-guide-block"),
      guideTitle: $("coach-guide-title"),
      guide: $("coach-guide"),
      faqBlock: $("coach-faq-block"),
      faq: $("coach-faq"),
      suggestionsBlock: $("coach-suggestions-block"),
      suggestions: $("coach-suggestions"),
      suggestionsEmpty: $("coach-suggestions-empty"),
      quickBlock: $("coach-quick-block"),
      quick: $("coach-quick"),
      error: $("coach-error"),
    },
    api,
    bargain,
    onInsert: insert,
  });
  const checker = new DraftChecker({
    input,
    mirror: $("draft-mirror"),
    tip: $("draft-tip"),
    listEl: $("draft-check"),
    api,
    conversationId: activeId,
  });
  const confirm = new ConfirmDialog({
    dialog: $("confirm-dialog"),
    message: $("confirm-message"),
    text: $("confirm-text"),
    list: $("confirm-findings"),
  });

  /** A reading arrived or changed: the panel refetches, the list's mood flag follows. */
  function analysisChanged(frame) {
    const id = frame.conversation;
    if (typeof id !== "number") return;
    const conv = conversations.get(id);
    if (conv && frame.coach && typeof frame.seq === "number" && frame.seq >= (lastCustomerSeq.get(id) || 0)) {
      // The server's CONV frame says the same a moment later; this makes the flag instant.
      conv.mood = MOODS_NEEDING_CARE.has(frame.coach.emotion) ? frame.coach.emotion : "";
      onMood();
    }
    panel.invalidate(id);
  }

  // Side panel tabs: 智能辅助 / 会话信息.
  for (const tab of document.querySelectorAll("[data-side-tab]")) {
    tab.addEventListener("click", () => {
      for (const other of document.querySelectorAll("[data-side-tab]")) {
        other.setAttribute("aria-selected", other === tab ? "true" : "false");
      }
      for (const pane of document.querySelectorAll("[data-side-pane]")) {
        pane.hidden = pane.dataset.sidePane !== tab.dataset.sideTab;
      }
    });
  }

  return {
    insert,
    confirm,
    /** A stored message was drawn in `messages` (a MessageList). */
    messageShown(messages, message) {
      if (message.sender === "customer") {
        const seen = lastCustomerSeq.get(message.conversation) || 0;
        lastCustomerSeq.set(message.conversation, Math.max(seen, message.seq || 0));
      }
      chips.decorate(messages.nodes.get(`${message.conversation}:${message.seq}`), message);
    },
    /** A new customer message came in live: its suggestions are about to change. */
    customerWrote(conversation) {
      panel.invalidate(conversation);
    },
    analysis(frame) {
      chips.apply(frame);
      analysisChanged(frame);
    },
    selected(conversation) {
      chips.closeMenu();
      checker.reset();
      panel.show(conversation);
    },
    draftChanged() {
      checker.schedule();
    },
  };
}
