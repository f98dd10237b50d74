// Start Pagefind's search UI; it reads the index of the page's own language.
window.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var box = document.getElementById("search");
  if (!box || typeof PagefindUI === "undefined") return;
  new PagefindUI({
    element: "#search",
    bundlePath: box.getAttribute("data-bundle"),
    showImages: false,
    showSubResults: true,
    translations: { placeholder: box.getAttribute("data-placeholder"), zero_results: box.getAttribute("data-zero") }
  });
  var params = new URLSearchParams(location.search);
  if (params.get("q")) {
    var input = box.querySelector("input");
    if (input) { input.value = params.get("q"); input.dispatchEvent(new Event("input")); }
  }
});
