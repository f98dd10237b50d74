// Filter the case list in place: facet links become toggles (the links still work without JavaScript).
(function () {
  "use strict";
  var cards = Array.prototype.slice.call(document.querySelectorAll(".case-card[data-facets]"));
  var links = Array.prototype.slice.call(document.querySelectorAll(".facet-value[data-facet]"));
  var count = document.querySelector(".result-count");
  var clear = document.querySelector(".active-filters");
  if (!cards.length || !links.length) return;
  var active = {};

  function apply() {
    var groups = Object.keys(active).filter(function (g) { return active[g].length; });
    var shown = 0;
    cards.forEach(function (card) {
      var tokens = card.getAttribute("data-facets").split(" ");
      // Within a facet any chosen value matches; across facets all must match.
      var ok = groups.every(function (g) { return active[g].some(function (t) { return tokens.indexOf(t) >= 0; }); });
      card.hidden = !ok;
      if (ok) shown++;
    });
    document.querySelectorAll(".chapter-heading").forEach(function (h) {
      var list = h.nextElementSibling;
      var visible = list && list.querySelector(".case-card:not([hidden])");
      h.hidden = !visible; if (list) list.hidden = !visible;
    });
    count.textContent = count.getAttribute("data-template").replace("{n}", shown).replace("{total}", cards.length);
    clear.hidden = groups.length === 0;
    var tokens = [].concat.apply([], groups.map(function (g) { return active[g]; }));
    history.replaceState(null, "", tokens.length ? "#" + tokens.join(",") : location.pathname);
  }

  function toggle(link, on) {
    var token = link.getAttribute("data-facet");
    var group = token.split(":")[0];
    var list = active[group] = active[group] || [];
    var i = list.indexOf(token);
    if (on === undefined) on = i < 0;
    if (on && i < 0) list.push(token);
    if (!on && i >= 0) list.splice(i, 1);
    link.setAttribute("aria-pressed", on ? "true" : "false");
  }

  links.forEach(function (link) {
    link.setAttribute("role", "button");
    link.setAttribute("aria-pressed", "false");
    link.addEventListener("click", function (event) { event.preventDefault(); toggle(link); apply(); });
    link.addEventListener("keydown", function (event) {
      if (event.key === " ") { event.preventDefault(); toggle(link); apply(); }
    });
  });
  clear.querySelector("button").addEventListener("click", function () {
    links.forEach(function (l) { toggle(l, false); }); apply();
  });
  if (location.hash.length > 1) {
    location.hash.slice(1).split(",").forEach(function (token) {
      links.forEach(function (l) { if (l.getAttribute("data-facet") === decodeURIComponent(token)) toggle(l, true); });
    });
    apply();
  }
})();
