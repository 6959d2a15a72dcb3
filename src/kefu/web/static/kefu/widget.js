/*
 * kefu chat widget loader. Add to any page:
 *   <script src="https://YOUR-KEFU-HOST/static/kefu/widget.js" data-shop="PUBLIC_KEY" async></script>
 * A shop whose own site knows who is logged in may add data-customer="SITE_USER_ID",
 * data-customer-sig="HEX" (and optionally data-customer-name) to link chats to that
 * customer's archive (docs/protocol.md, "Signed customer id").
 * It draws a chat button bottom-right; clicking opens the shop's chat (HOST/w/KEY/) in an
 * iframe: a 380x600 panel on a desktop, the whole screen on a phone. Everything lives in a
 * shadow root so the host page's CSS cannot bend it, and the only global is window.Kefu.
 */
(function () {
  "use strict";

  var STRINGS = {
    button: "咨询客服",
    open: "打开在线客服",
    close: "关闭在线客服",
    title: "在线客服",
  };

  if (window.Kefu && window.Kefu.version) return; // the tag was pasted twice

  var script = document.currentScript;
  if (!script) {
    var candidates = document.querySelectorAll("script[data-shop][src*='widget.js']");
    script = candidates[candidates.length - 1];
  }
  if (!script) return;
  var shopKey = script.getAttribute("data-shop");
  if (!shopKey) {
    console.error("kefu: the widget <script> tag needs data-shop=\"PUBLIC_KEY\"");
    return;
  }
  var origin = new URL(script.src, window.location.href).origin;
  var chatUrl = origin + "/w/" + encodeURIComponent(shopKey) + "/";
  // A logged-in user of the shop's site, vouched for by the shop's server:
  // data-customer-sig = hex HMAC-SHA256(identity secret, data-customer). kefu checks it;
  // a missing or wrong signature is simply ignored.
  var siteCustomer = script.getAttribute("data-customer");
  var siteSig = script.getAttribute("data-customer-sig");
  if (siteCustomer && siteSig) {
    var query = "?customer=" + encodeURIComponent(siteCustomer) +
      "&customer_sig=" + encodeURIComponent(siteSig);
    var siteName = script.getAttribute("data-customer-name");
    if (siteName) query += "&customer_name=" + encodeURIComponent(siteName);
    chatUrl += query;
  }

  var ICON_CHAT =
    '<svg viewBox="0 0 24 24" aria-hidden="true"><path fill="currentColor" d="M12 3C6.5 3 2 6.9 2 11.7c0 2.6 1.3 4.9 3.4 6.5L4.6 21l3.6-1.8c1.2.4 2.5.6 3.8.6 5.5 0 10-3.9 10-8.7S17.5 3 12 3zm-4 9.8a1.3 1.3 0 1 1 0-2.6 1.3 1.3 0 0 1 0 2.6zm4 0a1.3 1.3 0 1 1 0-2.6 1.3 1.3 0 0 1 0 2.6zm4 0a1.3 1.3 0 1 1 0-2.6 1.3 1.3 0 0 1 0 2.6z"/></svg>';
  var host = document.createElement("div");
  host.setAttribute("data-kefu-widget", "");
  var shadow = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  // A stylesheet file rather than a <style> element: pages with a Content-Security-Policy
  // that allows our host (they must, for this script) then allow the styles too.
  host.style.display = "none"; // until the styles are in: no flash of a bare button
  var sheet = document.createElement("link");
  sheet.rel = "stylesheet";
  sheet.href = origin + "/static/kefu/widget.css";
  sheet.addEventListener("load", function () { host.style.display = ""; });
  shadow.appendChild(sheet);

  var button = document.createElement("button");
  button.type = "button";
  button.className = "btn";
  button.setAttribute("aria-label", STRINGS.open);
  button.setAttribute("aria-expanded", "false");
  // Static markup of our own (icons); the label goes in as text.
  button.innerHTML = ICON_CHAT;
  var label = document.createElement("span");
  label.textContent = STRINGS.button;
  button.appendChild(label);
  var badge = document.createElement("span");
  badge.className = "badge";
  badge.hidden = true;
  button.appendChild(badge);
  shadow.appendChild(button);

  var panel = document.createElement("div");
  panel.className = "panel";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", STRINGS.title);
  shadow.appendChild(panel);

  var iframe = null;
  var isOpen = false;
  var chatReady = false; // the framed page said hello: before that it is still about:blank

  function tellChat() {
    if (chatReady && iframe.contentWindow) {
      iframe.contentWindow.postMessage({ kefu: "panel", open: isOpen }, origin);
    }
  }

  function open() {
    if (!iframe) {
      // Created on first open: a page that never chats never loads the chat.
      iframe = document.createElement("iframe");
      iframe.src = chatUrl;
      iframe.title = STRINGS.title;
      iframe.setAttribute("allow", "clipboard-write");
      panel.appendChild(iframe);
    }
    isOpen = true;
    panel.classList.add("open");
    button.classList.add("hidden-on-phone");
    button.setAttribute("aria-expanded", "true");
    button.setAttribute("aria-label", STRINGS.close);
    badge.hidden = true;
    badge.textContent = "";
    tellChat();
  }

  function close() {
    isOpen = false;
    panel.classList.remove("open");
    button.classList.remove("hidden-on-phone");
    button.setAttribute("aria-expanded", "false");
    button.setAttribute("aria-label", STRINGS.open);
    tellChat();
    button.focus();
  }

  function toggle() {
    if (isOpen) close();
    else open();
  }

  button.addEventListener("click", toggle);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && isOpen) close();
  });
  window.addEventListener("message", function (event) {
    // Only the chat page we framed may talk to us.
    if (!iframe || event.source !== iframe.contentWindow || event.origin !== origin) return;
    var data = event.data || {};
    if (data.kefu === "close") close();
    else if (data.kefu === "ready") {
      chatReady = true;
      tellChat();
    }
    else if (data.kefu === "unread" && !isOpen && data.count > 0) {
      badge.textContent = data.count > 99 ? "99+" : String(data.count);
      badge.hidden = false;
    }
  });

  function mount() {
    document.body.appendChild(host);
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);

  window.Kefu = { version: "1", open: open, close: close, toggle: toggle };
})();
