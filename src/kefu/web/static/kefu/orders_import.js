// The order import's progress bar: polls the import's status every 500 ms while it runs,
// and reloads the page (which then shows the result) once it has ended.
(function () {
  "use strict";

  var POLL_MS = 500;
  var box = document.querySelector('[data-role="order-import"][data-status-url]');
  if (!box) return;
  var bar = box.querySelector('[data-role="import-bar"]');
  var label = box.querySelector('[data-role="import-label"]');
  var url = box.getAttribute("data-status-url");

  function show(status) {
    if (status.phase === "segmenting") {
      bar.removeAttribute("value"); // indeterminate: the recompute has no count
    } else {
      bar.value = status.percent;
    }
    bar.textContent = status.percent + "%";
    label.textContent = status.label;
    box.setAttribute("data-state", status.state);
    box.setAttribute("data-phase", status.phase);
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        return response.json();
      })
      .then(function (status) {
        show(status);
        if (status.state === "running") {
          window.setTimeout(poll, POLL_MS);
        } else {
          window.location.reload();
        }
      })
      .catch(function () {
        window.setTimeout(poll, POLL_MS * 4); // a restarting server: try again a bit later
      });
  }

  window.setTimeout(poll, POLL_MS);
})();
