/* Small behaviours every page shares. They live in this static file, not in inline scripts or
   style="" attributes, so the Content-Security-Policy needs no 'unsafe-inline' (README, "Production settings"). */
(function () {
  "use strict";

  // <select data-autosubmit> (the language switch) submits its form on change; a <noscript> button covers no-JS.
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select instanceof HTMLSelectElement && select.hasAttribute("data-autosubmit") && select.form) {
      select.form.submit();
    }
  });

  // Bars of the budget, money and timeline charts: data-bar-width and data-bar-left hold percentages
  // (data-bar-left may hold several, which add up). Set through the CSSOM, which a CSP does not block.
  function percent(value) {
    return value.trim().split(/\s+/).reduce(function (sum, part) {
      var number = parseFloat(part);
      return isFinite(number) ? sum + number : sum;
    }, 0);
  }
  function sizeBars(root) {
    root.querySelectorAll("[data-bar-width], [data-bar-left]").forEach(function (bar) {
      if (bar.dataset.barWidth !== undefined) bar.style.width = percent(bar.dataset.barWidth) + "%";
      if (bar.dataset.barLeft !== undefined) bar.style.left = percent(bar.dataset.barLeft) + "%";
    });
  }

  // Comment threads post with htmx; pages that show a thread but do not load htmx themselves get it here.
  function loadHtmxFor(root) {
    var wanting = root.querySelector("[data-htmx-src]");
    if (!wanting || window.htmx || document.querySelector('script[src*="htmx"]')) return;
    var script = document.createElement("script");
    script.src = wanting.dataset.htmxSrc;
    document.head.appendChild(script);
  }

  function enhance(root) {
    sizeBars(root);
    loadHtmxFor(root);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  } else {
    enhance(document);
  }
  document.addEventListener("htmx:load", function (event) { sizeBars(event.detail.elt); });
})();
