// The suggestions panel for the selected conversation: GET /api/conversations/<id>/coach
// (docs/coach-desk.md) answers the reading of the latest customer message, ranked replies
// labelled with their method and why, the matching FAQ answer, the shop's quick replies
// that fit, and a handling guide (complaint steps, closing techniques or the bargaining
// panel). A click puts a reply into the draft; nothing is ever sent from here.

import { EMOTIONS, OBJECTION_TYPES, labelName } from "./desk_coach_labels.js";

const STRINGS = {
  situation: {
    closing: "促成交",
    complaint: "投诉处理",
    "emotion:angry": "安抚愤怒",
    "emotion:dissatisfied": "化解不满",
    "emotion:hesitant": "打消犹豫",
  },
  readingHead: "顾客最新一句",
  notRead: "还没有读到顾客的消息。",
  guide: { complaint: "投诉处理六步", closing: "促成交技巧" },
  current: "现在",
  say: "可以这样说",
  never: "千万别说",
  instead: (text) => `改说：${text}`,
  use: "用这句",
  more: (n) => `再看 ${n} 个技巧`,
  score: (s) => `匹配度 ${Math.round(s * 100)}%`,
  shop: "本店话术",
  unavailable: "智能辅助暂时不可用。",
  loadFailed: "建议加载失败，稍后会自动重试。",
};

const REFETCH_DEBOUNCE_MS = 250;
const CLOSING_SHOWN = 3;
const VARIABLE = /(\{[^{}\s]{1,8}\})/;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

/** Text with leftover {变量} tinted, built from text nodes and spans only. */
function textWithVariables(className, text) {
  const node = el("span", className);
  for (const part of String(text || "").split(VARIABLE)) {
    if (!part) continue;
    node.append(VARIABLE.test(part) ? el("span", "coach-var", part) : document.createTextNode(part));
  }
  return node;
}

/** A never-say entry: "「phrase」→ instead" (the server's wording), or {phrase, instead}. */
function neverSay(item) {
  if (item && typeof item === "object") return { phrase: item.phrase || "", instead: item.instead || "" };
  const match = /^「(.+?)」\s*→\s*(.*)$/.exec(String(item));
  return match ? { phrase: match[1], instead: match[2] } : { phrase: String(item), instead: "" };
}

export function situationName(situation) {
  if (!situation) return "";
  if (STRINGS.situation[situation]) return STRINGS.situation[situation];
  const [kind, id] = situation.split(":");
  if (kind === "objection") return OBJECTION_TYPES[id] || id;
  if (kind === "emotion") return EMOTIONS[id] || id;
  return situation;
}

export class CoachPanel {
  /**
   * @param {{els: Record<string, HTMLElement>, api: object, bargain: import("./desk_bargain.js").BargainPanel,
   *   onInsert: (text: string) => void}} options
   */
  constructor({ els, api, bargain, onInsert }) {
    this.els = els;
    this.api = api;
    this.bargain = bargain;
    this.onInsert = onInsert;
    this.cache = new Map(); // conversation -> {data, stale}
    this.active = null;
    this.requestNo = 0;
    this.timer = null;
    this.available = true;
    for (const list of [els.suggestions, els.quick, els.guide, els.faq]) {
      list.addEventListener("click", (event) => {
        const button = event.target.closest("[data-insert]");
        if (button) this.onInsert(button.dataset.insert);
      });
    }
  }

  /** The agent selected a conversation (or null). */
  show(conversation) {
    this.active = conversation;
    this.els.empty.hidden = conversation !== null;
    this.els.body.hidden = conversation === null;
    if (conversation === null) return;
    const cached = this.cache.get(conversation);
    if (cached && cached.data) this.render(conversation, cached.data);
    else this.clear();
    if (!cached || cached.stale) this.fetch(conversation);
  }

  /** Something the answer depends on changed (a new reading, the product picked). */
  invalidate(conversation) {
    const cached = this.cache.get(conversation);
    if (cached) cached.stale = true;
    if (conversation !== this.active) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fetch(conversation), REFETCH_DEBOUNCE_MS);
  }

  async fetch(conversation) {
    if (!this.available) return;
    const requestNo = ++this.requestNo;
    const entry = this.cache.get(conversation) || { data: null, stale: true };
    entry.stale = false;
    this.cache.set(conversation, entry);
    const product = this.bargain.productFor(conversation);
    const query = product ? `?product=${encodeURIComponent(product)}` : "";
    this.els.root.classList.add("is-loading");
    try {
      const data = await this.api.get(`/conversations/${conversation}/coach${query}`);
      entry.data = data;
      if (requestNo === this.requestNo && conversation === this.active) {
        this.els.error.hidden = true;
        this.render(conversation, data);
      }
    } catch (err) {
      entry.stale = true;
      if (err.status === 404 && !err.code) this.available = false; // this server has no coach
      if (requestNo === this.requestNo && conversation === this.active) {
        this.els.error.textContent = this.available ? err.message || STRINGS.loadFailed : STRINGS.unavailable;
        this.els.error.hidden = false;
      }
    } finally {
      if (requestNo === this.requestNo) this.els.root.classList.remove("is-loading");
    }
  }

  clear() {
    this.els.reading.replaceChildren();
    this.els.suggestions.replaceChildren();
    this.els.suggestionsEmpty.hidden = true;
    this.els.faqBlock.hidden = true;
    this.els.quickBlock.hidden = true;
    this.els.guideBlock.hidden = true;
    this.els.error.hidden = true;
  }

  render(conversation, data) {
    this.renderReading(data.analysis);
    this.renderGuide(data.guide);
    this.renderFaq(data.faq);
    this.renderSuggestions(data.suggestions || []);
    this.renderQuick(data.quick_replies || []);
    const haggling = !!data.guide && data.guide.kind === "bargain";
    // For a haggler the bargaining panel is the guide: open, right under the replies.
    if (haggling) this.els.suggestionsBlock.after(this.bargain.root);
    else this.els.body.insertBefore(this.bargain.root, this.els.error);
    this.bargain.show(conversation, data.products || [], { open: haggling, haggling });
  }

  renderReading(coach) {
    if (!coach) {
      this.els.reading.replaceChildren(el("p", "muted coach__reading-none", STRINGS.notRead));
      return;
    }
    const tags = el("p", "coach__tags");
    tags.append(el("span", "coach__reading-head", STRINGS.readingHead));
    const intent = labelName(coach, "intent");
    tags.append(el("span", "coach-tag coach-tag--intent", coach.intent === "objection" && coach.objection_type
      ? `${intent}·${labelName(coach, "objection_type")}`
      : intent));
    if (coach.emotion) {
      tags.append(el("span", `coach-tag coach-tag--emotion coach-chip--emotion-${coach.emotion}`,
        labelName(coach, "emotion")));
    }
    this.els.reading.replaceChildren(tags);
  }

  insertButton(text, label = STRINGS.use) {
    const button = el("button", "btn btn--sm coach__use", label);
    button.type = "button";
    button.dataset.insert = text;
    return button;
  }

  renderSuggestions(suggestions) {
    this.els.suggestions.replaceChildren(...suggestions.map((s, index) => {
      const li = el("li", "coach-sugg");
      li.dataset.method = s.method_id || "";
      li.dataset.situation = s.situation || "";
      const button = el("button", "coach-sugg__button");
      button.type = "button";
      button.dataset.insert = s.text || "";
      button.title = STRINGS.use;
      const head = el("span", "coach-sugg__head");
      head.append(el("span", "coach-sugg__rank", String(index + 1)));
      head.append(el("span", "coach-sugg__label", `${situationName(s.situation)} · ${s.method}`));
      if (s.source === "shop") head.append(el("span", "coach-sugg__shop", STRINGS.shop));
      button.append(head);
      if (s.why) button.append(el("span", "coach-sugg__why", s.why));
      button.append(textWithVariables("coach-sugg__text", s.text));
      li.append(button);
      return li;
    }));
    this.els.suggestionsEmpty.hidden = suggestions.length > 0;
  }

  renderFaq(faq) {
    this.els.faqBlock.hidden = !faq;
    if (!faq) return;
    const box = el("div", "coach-faq");
    const head = el("p", "coach-faq__q");
    head.append(el("span", null, faq.question || ""));
    if (typeof faq.score === "number") head.append(el("span", "coach-faq__score", STRINGS.score(faq.score)));
    box.append(head, textWithVariables("coach-faq__a", faq.answer), this.insertButton(faq.answer || ""));
    this.els.faq.replaceChildren(box);
  }

  renderQuick(replies) {
    this.els.quickBlock.hidden = replies.length === 0;
    this.els.quick.replaceChildren(...replies.map((reply) => {
      const li = el("li", "coach-qr");
      const button = el("button", "coach-qr__button");
      button.type = "button";
      button.dataset.insert = reply.text || "";
      button.append(el("code", "qr__kw", `/${reply.keyword || ""}`), textWithVariables("coach-qr__text", reply.text));
      li.append(button);
      return li;
    }));
  }

  renderGuide(guide) {
    // The bargaining "guide" is the bargaining panel itself (see render).
    this.els.guideBlock.hidden = !guide || guide.kind === "bargain";
    if (!guide || guide.kind === "bargain") return;
    this.els.guideTitle.textContent = STRINGS.guide[guide.kind] || "";
    this.els.guideBlock.dataset.kind = guide.kind;
    if (guide.kind === "complaint") this.els.guide.replaceChildren(this.complaintSteps(guide));
    else if (guide.kind === "closing") this.els.guide.replaceChildren(this.closingList(guide.techniques || []));
  }

  complaintSteps(guide) {
    const list = el("ol", "coach-steps");
    for (const step of guide.steps || []) {
      const current = step.n === guide.current_step;
      const li = el("li", `coach-step${current ? " is-current" : ""}${step.n < guide.current_step ? " is-done" : ""}`);
      const details = el("details");
      details.open = current;
      const summary = el("summary", "coach-step__title");
      summary.append(el("span", "coach-step__n", String(step.n)), el("span", null, step.title));
      if (current) summary.append(el("span", "chip coach-step__now", STRINGS.current));
      details.append(summary);
      if ((step.say || []).length) {
        details.append(el("p", "coach-step__label", STRINGS.say));
        const says = el("ul", "coach-step__say");
        for (const text of step.say) {
          const item = el("li");
          const button = el("button", "coach-step__line");
          button.type = "button";
          button.dataset.insert = text;
          button.append(textWithVariables(null, text));
          item.append(button);
          says.append(item);
        }
        details.append(says);
      }
      if ((step.never || []).length) {
        details.append(el("p", "coach-step__label coach-step__label--never", STRINGS.never));
        const never = el("ul", "coach-step__never");
        for (const item of step.never) {
          const { phrase, instead } = neverSay(item);
          const line = el("li");
          line.append(el("span", "coach-step__phrase", phrase));
          if (instead) line.append(el("span", "coach-step__instead", STRINGS.instead(instead)));
          never.append(line);
        }
        details.append(never);
      }
      li.append(details);
      list.append(li);
    }
    return list;
  }

  closingList(techniques) {
    const list = el("ul", "coach__list coach__list--closing");
    techniques.forEach((t, index) => {
      const li = el("li", "coach-sugg");
      li.hidden = index >= CLOSING_SHOWN;
      const button = el("button", "coach-sugg__button");
      button.type = "button";
      button.dataset.insert = t.text || "";
      const head = el("span", "coach-sugg__head");
      head.append(el("span", "coach-sugg__label", `${STRINGS.situation.closing} · ${t.method}`));
      button.append(head);
      if (t.why) button.append(el("span", "coach-sugg__why", t.why));
      button.append(textWithVariables("coach-sugg__text", t.text));
      li.append(button);
      list.append(li);
    });
    if (techniques.length <= CLOSING_SHOWN) return list;
    const more = el("button", "btn btn--ghost btn--sm coach__more", STRINGS.more(techniques.length - CLOSING_SHOWN));
    more.type = "button";
    more.addEventListener("click", () => {
      for (const li of list.children) li.hidden = false;
      more.remove();
    });
    const box = el("div");
    box.append(list, more);
    return box;
  }
}
