/* The header's buttons (colour scheme, phone menu) and the table of contents on resize. Without scripts none is needed. */
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

  // The table of contents is always open in the side column of a wide screen.
  var panel = document.getElementById("toc-panel");
  var wide = matchMedia("(min-width: 64rem)");
  if (panel) wide.addEventListener("change", function () { panel.open = wide.matches; });
})();
