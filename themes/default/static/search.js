// Start Pagefind's search UI; it reads the index of the page's own language.
window.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var box = document.getElementById("search");
  if (!box || typeof PagefindUI === "undefined") return;
  var sectionLabel = box.getAttribute("data-section-label") || "Section";
  new PagefindUI({
    element: "#search",
    bundlePath: box.getAttribute("data-bundle"),
    showImages: false,
    showSubResults: true,
    translations: { placeholder: box.getAttribute("data-placeholder"), zero_results: box.getAttribute("data-zero") },
    // Pagefind shows each metadata key as a label: give the section number a label in the page's language.
    processResult: function (result) {
      if (result.meta && result.meta.section) {
        var meta = {};
        Object.keys(result.meta).forEach(function (key) {
          meta[key === "section" ? sectionLabel : key] = result.meta[key];
        });
        result.meta = meta;
      }
      return result;
    }
  });
  var params = new URLSearchParams(location.search);
  if (params.get("q")) {
    var input = box.querySelector("input");
    if (input) { input.value = params.get("q"); input.dispatchEvent(new Event("input")); }
  }
});
