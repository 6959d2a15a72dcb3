// The workbench's JSON calls to /api/ (session cookie + X-CSRFToken), with errors turned
// into one Chinese sentence a person can act on.

const STRINGS = {
  network: "网络异常，请检查网络后重试。",
  failed: "操作没有成功，请稍后重试。",
  loggedOut: "登录已过期，请重新登录。",
};

export class ApiError extends Error {
  constructor(message, status = 0, code = "") {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function messageOf(data) {
  if (!data || typeof data !== "object") return null;
  if (data.error && typeof data.error.message === "string") return data.error.message;
  if (typeof data.message === "string") return data.message;
  if (typeof data.detail === "string") return data.detail;
  return null;
}

export function createApi(base, csrfToken) {
  async function request(method, path, body) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") {
      headers["X-CSRFToken"] = csrfToken;
      headers["Content-Type"] = "application/json";
    }
    let response;
    try {
      response = await fetch(base + path, {
        method,
        headers,
        credentials: "same-origin",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch {
      throw new ApiError(STRINGS.network);
    }
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const fallback = response.status === 401 ? STRINGS.loggedOut : STRINGS.failed;
      const code = data && data.error && data.error.code ? data.error.code : "";
      throw new ApiError(messageOf(data) || fallback, response.status, code);
    }
    return data;
  }
  return {
    get: (path) => request("GET", path),
    post: (path, body = {}) => request("POST", path, body),
  };
}

/** A list out of whatever wrapper the endpoint uses ([...], {items: [...]}, {results: [...]}). */
export function listOf(data, ...names) {
  if (Array.isArray(data)) return data;
  for (const name of ["items", "results", ...names]) {
    if (data && Array.isArray(data[name])) return data[name];
  }
  return [];
}
