// Start Pagefind's search UI; it reads the index of the page's own language.
window.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var box = document.getElementById("search");
  if (!box || typeof PagefindUI === "undefined") return;
  // Pagefind joins the blocks of a page with ". " in its excerpts (and a space after a block
  // that ends in a full stop). In Chinese text that is an ideographic full stop, with no space.
  var chinese = /^zh/i.test(document.documentElement.lang);
  function fullStops(excerpt) {
    if (!chinese || !excerpt) return excerpt;
    return excerpt.replace(/^\. /, "")
      .replace(/([\u3400-\u9fff》」』】）”])(<\/mark>)?\. /g, "$1$2。")
      .replace(/([。！？；》」』】）”])(<\/mark>)? (?=[^\x00-\x7f])/g, "$1$2");
  }
  new PagefindUI({
    element: "#search",
    bundlePath: box.getAttribute("data-bundle"),
    showImages: false,
    showSubResults: true,
    translations: { placeholder: box.getAttribute("data-placeholder"), zero_results: box.getAttribute("data-zero") },
    // Pagefind would show the section number as a tag "section: 3.6.1", with an English key and an
    // ASCII colon on Chinese pages; the number goes before the title instead, as in the guide.
    processResult: function (result) {
      if (result.meta && result.meta.section) {
        result.meta.title = result.meta.section + " " + (result.meta.title || "");
        delete result.meta.section;
      }
      result.excerpt = fullStops(result.excerpt);
      (result.sub_results || []).forEach(function (sub) { sub.excerpt = fullStops(sub.excerpt); });
      return result;
    }
  });
  var params = new URLSearchParams(location.search);
  if (params.get("q")) {
    var input = box.querySelector("input");
    if (input) { input.value = params.get("q"); input.dispatchEvent(new Event("input")); }
  }
});
