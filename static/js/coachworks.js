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

  // The top menu is a <details> that works without JavaScript. Browsers that lack ::details-content cannot
  // show it closed on wide screens: open it there. Escape closes the open menu and returns to its button.
  function setUpMenu() {
    var menu = document.querySelector("[data-nav-menu]");
    if (!menu) return;
    var supportsDetailsContent = window.CSS && CSS.supports && CSS.supports("selector(::details-content)");
    if (!supportsDetailsContent && window.matchMedia) {
      var wide = window.matchMedia("(min-width: 64em)");
      var sync = function () { menu.open = wide.matches; };
      sync();
      if (wide.addEventListener) wide.addEventListener("change", sync);
    }
    menu.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.open) {
        menu.open = false;
        menu.querySelector("summary").focus();
      }
    });
  }

  // A table box that scrolls sideways (narrow screens) becomes a named, focusable region, so a keyboard can
  // scroll it; one that fits stays out of the tab order.
  function markScrollingTables() {
    document.querySelectorAll(".table-scroll").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        var table = box.querySelector("table");
        var heading = box.previousElementSibling;
        var name = (table && table.caption && table.caption.textContent) ||
          (heading && /^H[1-6]$/.test(heading.tagName) && heading.textContent) || document.title;
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", name.trim());
      } else if (!scrolls && box.getAttribute("tabindex") === "0") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
  }
  var resizing = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(markScrollingTables, 100);
  });

  // A form sent back with errors: move the focus to its summary, which lists and links the fields to fix.
  function focusErrorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) summary.focus();
  }

  function enhance(root) {
    markScrollingTables();
    sizeBars(root);
    loadHtmxFor(root);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { setUpMenu(); enhance(document); focusErrorSummary(); });
  } else {
    setUpMenu();
    enhance(document);
    focusErrorSummary();
  }
  document.addEventListener("htmx:load", function (event) { sizeBars(event.detail.elt); });
})();
