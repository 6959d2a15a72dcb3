// The pre-send check: while the agent types, the draft goes (debounced) to
// POST /api/coach/check; what comes back is underlined in the draft and listed under it.
// The underlines live in a mirror behind the transparent textarea: same box, same font
// metrics, the same text in spans built with textContent (never innerHTML). Leftover
// template variables ({商品}) are tinted there too, so the agent sees what to fill in.

import { FINDING_CATEGORIES, SEVERITIES, SHOP_RULES } from "./desk_coach_labels.js";

const STRINGS = {
  finding: (category, text) => `${category}「${text}」`,
  suggestion: (text) => `建议：${text}`,
  variable: (name) => `请把 ${name} 换成实际内容`,
  rule: (name) => `店铺规则 · ${name}`,
};

const DEBOUNCE_MS = 300;
const VARIABLE = /\{[^{}\s]{1,8}\}/g;
const SEVERITY_ORDER = { high: 3, medium: 2, low: 1 };
const MIRRORED_STYLES = [
  "fontFamily", "fontSize", "fontWeight", "fontStyle", "lineHeight", "letterSpacing", "wordSpacing",
  "textIndent", "textTransform", "tabSize", "paddingTop", "paddingRight", "paddingBottom", "paddingLeft",
];

/** The UTF-16 index of the code point at `cp` (Python counts code points, JS strings do not). */
export function utf16Index(text, cp) {
  let units = 0;
  let points = 0;
  for (const ch of text) {
    if (points >= cp) break;
    units += ch.length;
    points += 1;
  }
  return units;
}

/** Where a server range (code points) lies in `text`, checked against the text it names. */
function locate(text, item) {
  const start = utf16Index(text, Number(item.start));
  const end = utf16Index(text, Number(item.end));
  if (end > start && (!item.text || text.slice(start, end) === item.text)) return { start, end };
  if (item.text) {
    const at = text.indexOf(item.text);
    if (at >= 0) return { start: at, end: at + item.text.length };
  }
  return null;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

export function findingTitle(finding) {
  const category = FINDING_CATEGORIES[finding.category] || finding.category;
  const head = STRINGS.finding(category, finding.text || "");
  return finding.suggestion ? `${head} · ${STRINGS.suggestion(finding.suggestion)}` : head;
}

export function warningTitle(warning) {
  return `${STRINGS.rule(SHOP_RULES[warning.rule] || warning.rule)} · ${warning.message || ""}`;
}

export class DraftChecker {
  /**
   * @param {{input: HTMLTextAreaElement, mirror: HTMLElement, tip: HTMLElement,
   *   listEl: HTMLElement, api: object, conversationId: () => number|null}} options
   */
  constructor({ input, mirror, tip, listEl, api, conversationId }) {
    this.input = input;
    this.mirror = mirror;
    this.tip = tip;
    this.listEl = listEl;
    this.api = api;
    this.conversationId = conversationId;
    this.result = { text: "", findings: [], warnings: [] };
    this.timer = null;
    this.requestNo = 0;
    this.available = true; // false once the server says it has no checker
    input.addEventListener("scroll", () => { this.mirror.scrollTop = this.input.scrollTop; });
    input.addEventListener("mousemove", (event) => this.hover(event));
    input.addEventListener("mouseleave", () => { this.tip.hidden = true; });
    new ResizeObserver(() => this.layout()).observe(input);
    this.layout();
  }

  /** Call on every change of the draft: redraws at once, asks the server a moment later. */
  schedule() {
    this.draw();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.check(), DEBOUNCE_MS);
  }

  /** Forget findings (another conversation's draft is shown) and check the new draft. */
  reset() {
    this.requestNo += 1;
    this.result = { text: "", findings: [], warnings: [] };
    this.schedule();
  }

  async check() {
    const text = this.input.value;
    const requestNo = ++this.requestNo;
    if (!this.available || !text.trim() || text.trim().startsWith("/")) {
      this.result = { text, findings: [], warnings: [] };
      this.draw();
      return;
    }
    const body = { text };
    const conversation = this.conversationId();
    if (conversation) body.conversation = conversation;
    let data;
    try {
      data = await this.api.post("/coach/check", body);
    } catch (err) {
      if (err.status === 404 || err.status === 405) this.available = false;
      return; // the send path checks again on the server; a hiccup here only loses underlines
    }
    if (requestNo !== this.requestNo) return; // a newer draft was asked about
    this.result = {
      text,
      findings: Array.isArray(data && data.findings) ? data.findings : [],
      warnings: Array.isArray(data && data.warnings) ? data.warnings : [],
    };
    this.draw();
  }

  /** Marks on the current draft: findings and warnings only while the text is unchanged. */
  marks() {
    const text = this.input.value;
    const marks = [];
    if (this.result.text === text) {
      for (const finding of this.result.findings) {
        const at = locate(text, finding);
        if (!at) continue;
        const severity = SEVERITY_ORDER[finding.severity] ? finding.severity : "low";
        marks.push({ ...at, kind: `finding is-${severity}`, rank: 10 + SEVERITY_ORDER[severity], tip: findingTitle(finding) });
      }
      for (const warning of this.result.warnings) {
        const at = locate(text, warning);
        if (at) marks.push({ ...at, kind: "warning", rank: 5, tip: warningTitle(warning) });
      }
    }
    for (const match of text.matchAll(VARIABLE)) {
      marks.push({ start: match.index, end: match.index + match[0].length, kind: "var", rank: 1, tip: STRINGS.variable(match[0]) });
    }
    return marks;
  }

  draw() {
    const text = this.input.value;
    const marks = this.marks();
    const cuts = new Set([0, text.length]);
    for (const mark of marks) {
      cuts.add(mark.start);
      cuts.add(mark.end);
    }
    const points = Array.from(cuts).sort((a, b) => a - b);
    const pieces = [];
    for (let i = 0; i < points.length - 1; i += 1) {
      const [start, end] = [points[i], points[i + 1]];
      const piece = text.slice(start, end);
      const covering = marks.filter((m) => m.start <= start && m.end >= end);
      if (!covering.length) {
        pieces.push(document.createTextNode(piece));
        continue;
      }
      covering.sort((a, b) => b.rank - a.rank);
      const span = el("span", `draft-mark draft-mark--${covering[0].kind}`, piece);
      span.dataset.tip = covering.map((m) => m.tip).join("\n");
      pieces.push(span);
    }
    // A trailing newline takes a line in the textarea but not in a div without this.
    if (text.endsWith("\n")) pieces.push(document.createTextNode("\u200b"));
    this.mirror.replaceChildren(...pieces);
    this.mirror.scrollTop = this.input.scrollTop;
    this.drawList(text);
  }

  drawList(text) {
    const rows = [];
    if (this.result.text === text) {
      const findings = [...this.result.findings].sort(
        (a, b) => (SEVERITY_ORDER[b.severity] || 0) - (SEVERITY_ORDER[a.severity] || 0));
      for (const finding of findings) {
        const li = el("li", `draft-check__item is-${finding.severity || "low"}`);
        li.append(el("span", "draft-check__sev", SEVERITIES[finding.severity] || finding.severity || ""));
        li.append(el("span", "draft-check__text", findingTitle(finding)));
        rows.push(li);
      }
      for (const warning of this.result.warnings) {
        const li = el("li", "draft-check__item is-rule");
        li.append(el("span", "draft-check__sev", STRINGS.rule(SHOP_RULES[warning.rule] || warning.rule)));
        li.append(el("span", "draft-check__text", warning.message || ""));
        rows.push(li);
      }
    }
    this.listEl.replaceChildren(...rows);
    this.listEl.hidden = rows.length === 0;
  }

  /** Keeps the mirror on the textarea's content box (it can be resized by the agent). */
  layout() {
    const style = getComputedStyle(this.input);
    for (const name of MIRRORED_STYLES) this.mirror.style[name] = style[name];
    this.mirror.style.setProperty("top", `${this.input.offsetTop + this.input.clientTop}px`);
    this.mirror.style.setProperty("left", `${this.input.offsetLeft + this.input.clientLeft}px`);
    this.mirror.style.setProperty("width", `${this.input.clientWidth}px`);
    this.mirror.style.setProperty("height", `${this.input.clientHeight}px`);
    this.mirror.scrollTop = this.input.scrollTop;
  }

  /** The textarea lies on top of the marks: find the mark under the pointer by its boxes. */
  hover(event) {
    let found = null;
    for (const span of this.mirror.querySelectorAll(".draft-mark")) {
      for (const rect of span.getClientRects()) {
        if (event.clientX >= rect.left && event.clientX <= rect.right
          && event.clientY >= rect.top && event.clientY <= rect.bottom) {
          found = { span, rect };
          break;
        }
      }
      if (found) break;
    }
    if (!found) {
      this.tip.hidden = true;
      return;
    }
    this.tip.textContent = found.span.dataset.tip;
    this.tip.hidden = false;
    const box = this.tip.offsetParent ? this.tip.offsetParent.getBoundingClientRect() : { left: 0, top: 0 };
    const left = Math.max(0, found.rect.left - box.left);
    this.tip.style.setProperty("left", `${left}px`);
    this.tip.style.setProperty("top", `${found.rect.top - box.top - this.tip.offsetHeight - 6}px`);
  }
}
