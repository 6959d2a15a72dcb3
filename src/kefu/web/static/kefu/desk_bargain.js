// The bargaining panel: pick a product, say which prices were already offered in this
// chat, and POST /api/coach/offer answers the next offer and its wording. The floor price
// is shown to staff here (the workbench is staff-only) and never leaves this page.
// Offers put into the draft from here are remembered per conversation and product, so
// the next round starts from them.

const STRINGS = {
  listPrice: (p) => `标价 ¥${p}`,
  floorPrice: (p) => `底价 ¥${p}（仅内部可见）`,
  gift: (g) => `可送赠品：${g}`,
  offer: (price) => `建议报价 ¥${price}`,
  concession: (c) => `让 ¥${c}`,
  final: "已到最后一口价",
  giftInstead: "不想降价时，可以改送赠品：",
  useIt: "放入回复框",
  badRounds: "已报过的价请填数字，用逗号隔开。",
  noProduct: "请先选一个商品。",
  choose: "— 选择顾客问的商品 —",
  option: (name, price) => `${name}（¥${price}）`,
};

const NUMBER = /^\d+(?:\.\d{1,2})?$/;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

export class BargainPanel {
  /**
   * @param {{root: HTMLDetailsElement, product: HTMLSelectElement, prices: HTMLElement,
   *   rounds: HTMLInputElement, customerType: HTMLSelectElement, button: HTMLButtonElement,
   *   error: HTMLElement, result: HTMLElement, none: HTMLElement, flag: HTMLElement, api: object,
   *   onInsert: (text: string) => void, onProduct: (productId: number|null) => void}} options
   */
  constructor(options) {
    Object.assign(this, options);
    this.products = [];
    this.conversation = null;
    this.offered = new Map(); // "conversation:product" -> [prices offered, oldest first]
    this.chosen = new Map(); // conversation -> product id picked here
    this.requestNo = 0;
    this.roundsKey = null;
    this.product.addEventListener("change", () => {
      const id = Number(this.product.value) || null;
      this.chosen.set(this.conversation, id);
      this.showProduct();
      this.onProduct(id);
    });
    this.button.addEventListener("click", () => this.next());
    this.rounds.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        this.next();
      }
    });
  }

  /** The product chosen for a conversation in this panel (for the coach's {商品}/{价格}). */
  productFor(conversation) {
    const chosen = this.chosen.get(conversation);
    if (chosen) return chosen;
    return this.products.length === 1 && conversation === this.conversation ? this.products[0].id : null;
  }

  /** A conversation's coach answer arrived: its products fill the picker. */
  show(conversation, products, { open = false, haggling = false } = {}) {
    const switched = conversation !== this.conversation;
    this.conversation = conversation;
    this.products = Array.isArray(products) ? products : [];
    this.none.hidden = this.products.length > 0;
    this.product.disabled = !this.products.length;
    this.button.disabled = !this.products.length;
    let chosen = this.chosen.get(conversation) || null;
    if (!this.products.some((p) => p.id === chosen)) chosen = null;
    // One product is the only choice; with more the agent says which one the chat is about
    // (the coach then fills {商品} and {价格} from it).
    if (chosen === null && this.products.length === 1) chosen = this.products[0].id;
    const options = this.products.map((p) => {
      const option = el("option", null, STRINGS.option(p.name, p.list_price));
      option.value = String(p.id);
      return option;
    });
    if (this.products.length > 1) {
      const none = el("option", null, STRINGS.choose);
      none.value = "";
      options.unshift(none);
    }
    this.product.replaceChildren(...options);
    this.product.value = chosen !== null ? String(chosen) : "";
    this.flag.hidden = !haggling;
    if (switched) {
      this.result.hidden = true;
      this.error.hidden = true;
    }
    this.showProduct();
    if (open) this.root.open = true;
  }

  current() {
    return this.products.find((p) => String(p.id) === this.product.value) || null;
  }

  key(productId) {
    return `${this.conversation}:${productId}`;
  }

  showProduct() {
    const product = this.current();
    const lines = [];
    if (product) {
      lines.push(el("span", "bargain__list", STRINGS.listPrice(product.list_price)));
      if (product.floor_price !== undefined && product.floor_price !== null) {
        lines.push(el("span", "bargain__floor", STRINGS.floorPrice(product.floor_price)));
      }
      if (product.gift) lines.push(el("span", "bargain__gift", STRINGS.gift(product.gift)));
      // Only when the product or the chat changes: a refresh keeps what the agent typed.
      if (this.roundsKey !== this.key(product.id)) {
        this.roundsKey = this.key(product.id);
        this.rounds.value = (this.offered.get(this.roundsKey) || []).join(", ");
      }
    }
    this.prices.replaceChildren(...lines);
  }

  parseRounds() {
    const raw = this.rounds.value.split(/[,，、\s]+/).map((s) => s.replace(/^¥/, "")).filter(Boolean);
    return raw.every((s) => NUMBER.test(s)) ? raw : null;
  }

  async next() {
    const product = this.current();
    this.error.hidden = true;
    if (!product) {
      this.showError(STRINGS.noProduct);
      return;
    }
    const rounds = this.parseRounds();
    if (!rounds) {
      this.showError(STRINGS.badRounds);
      return;
    }
    const requestNo = ++this.requestNo;
    this.button.disabled = true;
    try {
      const offer = await this.api.post("/coach/offer", {
        product: product.id,
        rounds,
        customer_type: this.customerType.value,
      });
      if (requestNo === this.requestNo) this.showOffer(product, rounds, offer);
    } catch (err) {
      if (requestNo === this.requestNo) this.showError(err.message);
    } finally {
      this.button.disabled = false;
    }
  }

  showError(text) {
    this.error.textContent = text;
    this.error.hidden = false;
    this.result.hidden = true;
  }

  showOffer(product, rounds, offer) {
    const head = el("p", "bargain__offer");
    head.append(el("strong", null, STRINGS.offer(offer.price)));
    if (offer.concession && Number(offer.concession) > 0) head.append(" ", el("span", "muted", STRINGS.concession(offer.concession)));
    if (offer.final) head.append(" ", el("span", "chip chip--final", STRINGS.final));
    const parts = [head];
    const alternative = [];
    if (offer.gift_alternative) {
      const alt = el("p", "bargain__alt");
      alt.append(el("span", "muted", STRINGS.giftInstead), el("br"), offer.gift_alternative, " ");
      const useAlt = el("button", "btn btn--sm bargain__use-alt", STRINGS.useIt);
      useAlt.type = "button";
      useAlt.dataset.action = "bargain-use-gift";
      useAlt.addEventListener("click", () => this.onInsert(offer.gift_alternative));
      alt.append(useAlt);
      alternative.push(alt);
    }
    const wording = el("p", "bargain__wording", offer.wording || "");
    const use = el("button", "btn btn--sm", STRINGS.useIt);
    use.type = "button";
    use.dataset.action = "bargain-use";
    use.addEventListener("click", () => {
      const key = this.key(product.id);
      const offered = [...rounds];
      // Holding the price is not a new round: only a price below the last one counts.
      if (Number(offered[offered.length - 1]) !== Number(offer.price)) offered.push(String(offer.price));
      this.offered.set(key, offered);
      this.rounds.value = offered.join(", ");
      this.onInsert(offer.wording || "");
    });
    parts.push(wording, use, ...alternative);
    this.result.replaceChildren(...parts);
    this.result.hidden = false;
  }
}
