/* The package box of the dossier page: while a package is being built, ask its status every few seconds,
   show the progress, and reload the page when it is ready or has failed (the page shows the download link
   or the error). Without JavaScript the page says to reload it; nothing else depends on this file. */
(function () {
  "use strict";

  var box = document.querySelector("[data-package-status-url]");
  if (!box) return;
  var waiting = ["pending", "building"];
  if (waiting.indexOf(box.dataset.packageStatus) < 0) return;

  function format(bytes) {
    var units = ["B", "KB", "MB", "GB", "TB"];
    var value = bytes;
    var unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    return (unit ? value.toFixed(1) : String(value)) + " " + units[unit];
  }

  function show(state) {
    var bar = box.querySelector("[data-package-percent]");
    if (bar) {
      bar.value = state.percent;
      bar.textContent = state.percent + " %";
    }
    var label = box.querySelector("[data-package-label]");
    if (label) label.textContent = state.status_label;
    var files = box.querySelector("[data-package-files]");
    if (files) files.textContent = state.files_done + " / " + state.files_total;
    var bytes = box.querySelector("[data-package-bytes]");
    if (bytes) bytes.textContent = format(state.bytes_done) + " / " + format(state.bytes_total);
  }

  function poll() {
    fetch(box.dataset.packageStatusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        return response.json();
      })
      .then(function (state) {
        if (waiting.indexOf(state.status) < 0) {
          window.location.reload();
          return;
        }
        show(state);
        window.setTimeout(poll, 2000);
      })
      .catch(function () {
        window.setTimeout(poll, 10000);
      });
  }

  window.setTimeout(poll, 2000);
})();
