// "/" or Ctrl+K (⌘K on a Mac) puts the cursor in the search box from anywhere on the page: the header's box, or
// on the search page its own.
document.addEventListener("keydown", function (event) {
  "use strict";
  var box = document.getElementById("search-q") || document.getElementById("site-search-q");
  if (!box || event.defaultPrevented || event.altKey) return;
  var target = event.target;
  var typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  var slash = event.key === "/" && !event.ctrlKey && !event.metaKey && !typing;
  var k = (event.key === "k" || event.key === "K") && (event.ctrlKey || event.metaKey) && !event.shiftKey;
  if (!slash && !k) return;
  event.preventDefault();
  // On a phone the header's box is in the folded menu: open it first.
  var menu = document.querySelector(".menu-toggle[aria-expanded='false']");
  if (!box.getClientRects().length && menu) menu.click();
  box.focus();
  box.select();
});
