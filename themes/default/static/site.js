/* The header's buttons (colour scheme, phone menu), its search box's keys and the table of contents on resize.
   Without scripts none is needed. */
(function () {
  "use strict";
  var root = document.documentElement;

  // Colour scheme: the system's, until the reader chooses; the choice is remembered (the page's first script applies it).
  var systemDark = matchMedia("(prefers-color-scheme: dark)");
  var toggle = document.querySelector(".theme-toggle");
  function isDark() { return root.dataset.theme ? root.dataset.theme === "dark" : systemDark.matches; }
  function showScheme() { if (toggle) toggle.setAttribute("aria-pressed", String(isDark())); }
  if (toggle) {
    toggle.addEventListener("click", function () {
      var scheme = isDark() ? "light" : "dark";
      root.dataset.theme = scheme;
      try { localStorage.setItem("colour-scheme", scheme); } catch (e) { /* private mode: this page only */ }
      showScheme();
    });
    systemDark.addEventListener("change", showScheme);
    showScheme();
  }

  // Phone menu: the main navigation folds behind a button.
  var menu = document.querySelector(".menu-toggle");
  var nav = document.getElementById("main-nav");
  if (menu && nav) {
    menu.addEventListener("click", function () {
      var open = menu.getAttribute("aria-expanded") !== "true";
      menu.setAttribute("aria-expanded", String(open));
      nav.classList.toggle("open", open);
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && menu.getAttribute("aria-expanded") === "true") {
        menu.setAttribute("aria-expanded", "false");
        nav.classList.remove("open");
        menu.focus();
      }
    });
  }

  // "/" or Ctrl+K (⌘K on a Mac) puts the cursor in the search box from anywhere on the page: the header's box, or
  // on the search page its own.
  document.addEventListener("keydown", function (event) {
    var box = document.getElementById("search-q") || document.getElementById("site-search-q");
    if (!box || event.defaultPrevented || event.altKey) return;
    var target = event.target;
    var typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
    var slash = event.key === "/" && !event.ctrlKey && !event.metaKey && !typing;
    var k = (event.key === "k" || event.key === "K") && (event.ctrlKey || event.metaKey) && !event.shiftKey;
    if (!slash && !k) return;
    event.preventDefault();
    // On a phone the header's box is in the folded menu: open it first.
    var folded = document.querySelector(".menu-toggle[aria-expanded='false']");
    if (!box.getClientRects().length && folded) folded.click();
    box.focus();
    box.select();
  });

  // The table of contents is always open in the side column of a wide screen.
  var panel = document.getElementById("toc-panel");
  var wide = matchMedia("(min-width: 64rem)");
  if (panel) wide.addEventListener("change", function () { panel.open = wide.matches; });
})();
