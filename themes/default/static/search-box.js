// The header's search box: "/" or Ctrl+K (⌘K on a Mac) puts the cursor in it from anywhere on the page.
document.addEventListener("keydown", function (event) {
  "use strict";
  var box = document.getElementById("site-search-q");
  if (!box || event.defaultPrevented || event.altKey) return;
  var target = event.target;
  var typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  var slash = event.key === "/" && !event.ctrlKey && !event.metaKey && !typing;
  var k = (event.key === "k" || event.key === "K") && (event.ctrlKey || event.metaKey) && !event.shiftKey;
  if (!slash && !k) return;
  event.preventDefault();
  box.focus();
  box.select();
});
