// The coach's label ids and their Chinese names: exactly the taxonomy contract
// (kefu/assist/labels.py). The server sends names in COACH.labels; this copy names the
// choices of the correction menu and anything that arrives without names.

export const INTENTS = {
  greeting: "问候",
  inquiry: "咨询",
  objection: "异议",
  order: "订单/物流",
  after_sales: "售后",
  complaint: "投诉",
  closing: "成交/致谢",
  other: "其他",
};

export const OBJECTION_TYPES = {
  need: "需求异议",
  budget: "财力异议",
  authority: "权利异议",
  product: "产品异议",
  price: "价格异议",
  timing: "购买时间异议",
  service: "服务异议",
  policy: "政策异议",
  source: "货源异议",
};

export const EMOTIONS = {
  positive: "满意/愉快",
  neutral: "平静",
  hesitant: "犹豫",
  dissatisfied: "不满",
  angry: "愤怒",
};

export const FINDING_CATEGORIES = {
  negative: "负面语言",
  absolute: "绝对化承诺",
  blame: "指责顾客",
  rude: "不文明",
  curt: "生硬",
  but: "转折",
};

export const SEVERITIES = { high: "严重", medium: "注意", low: "提示" };

export const SHOP_RULES = { no_bargain: "不议价", free_shipping: "包邮规则" };

/** The label fields a chip shows, with the names of their choices. */
export const FIELDS = {
  intent: { title: "意图", names: INTENTS },
  objection_type: { title: "异议类型", names: OBJECTION_TYPES },
  emotion: { title: "情绪", names: EMOTIONS },
};

/** Emotions that flag a conversation in the list (CONV.mood). */
export const MOODS_NEEDING_CARE = new Set(["angry", "dissatisfied"]);

/** The Chinese name of a label: the server's when it sent one, else ours, else the id. */
export function labelName(coach, field) {
  const id = coach && coach[field];
  if (!id) return "";
  const sent = coach.labels && coach.labels[field];
  return sent || (FIELDS[field] && FIELDS[field].names[id]) || id;
}
