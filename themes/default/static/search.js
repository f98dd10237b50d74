// The search page: loads the language's index (built by site_builder/search.py) into MiniSearch and shows results.
//
// The terms of a query are made exactly as the builder made the index's: the functions fold, wordTerm and
// the run pattern below mirror site_builder/search.py (a browser test checks that both give the same terms
// for every page). Chinese runs become overlapping two-character terms; a query must contain every term,
// its Chinese must occur as written, so 同济 finds nothing where no page names it, and its words must stand
// within a few words of each other.
(function () {
  "use strict";
  var CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff";
  var RUNS = new RegExp("[" + CJK + "]+|(?:[^\\P{L}" + CJK + "]|\\p{N})+", "gu");
  var CJK_RUN = new RegExp("^[" + CJK + "]");
  var SPELLING_RULES = [
    [/^(licen|defen|offen|preten)c/, "$1s"],
    [/(?<=\w{3}[iy])s(ation|ational|able|e|ed|er|ing)?$/, "z$1"],
    [/(?<=\w{2})tre$/, "ter"],
    [/gramme$/, "gram"],
    [/(?<=\w{3})our(ed|ing|able|ite)?$/, "or$1"],
    [/(?<=\w{3})ogue$/, "og"]
  ];
  var FIELDS = ["title", "institution", "keywords", "text"];
  var STORED = ["url", "kind", "section", "title", "institution", "keywords", "text"];
  var CLAUSE_END = /[。！？；，、：\n]/;

  function fold(text) {
    return text.normalize("NFKC").toLowerCase().normalize("NFKD").replace(/\p{M}/gu, "");
  }

  function wordTerm(word) {
    if (word.length > 2 && !/^\d+$/.test(word)) {
      if (/ies$/.test(word) && !/[ea]ies$/.test(word)) word = word.slice(0, -3) + "y";
      else if (/es$/.test(word) && !/[aeo]es$/.test(word)) word = word.slice(0, -1);
      else if (/s$/.test(word) && !/(us|ss)$/.test(word)) word = word.slice(0, -1);
    }
    SPELLING_RULES.forEach(function (rule) { word = word.replace(rule[0], rule[1]); });
    return word;
  }

  // The terms a page's text is indexed under (as site_builder.search.terms).
  function indexTerms(text) {
    var found = [];
    (fold(text).match(RUNS) || []).forEach(function (run) {
      if (CJK_RUN.test(run)) {
        for (var i = 0; i + 1 < run.length; i++) found.push(run.slice(i, i + 2));
        found.push(run.slice(-1));
      } else {
        found.push(wordTerm(run));
      }
    });
    return found;
  }

  // The terms of a query: Chinese as bigrams (one character alone stays one term), words as in the index.
  function queryTerms(text) {
    var found = [];
    (fold(text).match(RUNS) || []).forEach(function (run) {
      if (CJK_RUN.test(run)) {
        if (run.length === 1) found.push(run);
        for (var i = 0; i + 1 < run.length; i++) found.push(run.slice(i, i + 2));
      } else {
        found.push(wordTerm(run));
      }
    });
    return found;
  }

  // A word is also found as the start of a longer one (a word cut short); so is a single Chinese character.
  function byPrefix(term) {
    return CJK_RUN.test(term) ? term.length === 1 : term.length >= 2;
  }

  function termMatches(found, term) {
    return byPrefix(term) ? found.indexOf(term) === 0 : found === term;
  }

  // The terms of a text's words, leaving out its Chinese (for phrases).
  function wordTerms(text) {
    return (fold(text).match(RUNS) || []).filter(function (run) { return !CJK_RUN.test(run); }).map(wordTerm);
  }

  // Whether the words `phrase` (terms) follow each other in `terms`.
  function hasPhrase(terms, phrase) {
    for (var i = 0; i + phrase.length <= terms.length; i++) {
      var j = 0;
      while (j < phrase.length && termMatches(terms[i + j], phrase[j])) j++;
      if (j === phrase.length) return true;
    }
    return false;
  }

  // Whether the words `phrase` all occur, in any order, within a few words of each other ("proof concept" finds
  // "proof of concept"); words far apart on a page ("Zhejiang … University") do not make a name it contains.
  var SLACK = 2;
  function hasNear(terms, phrase) {
    var width = phrase.length + SLACK;
    for (var i = 0; i < terms.length; i++) {
      if (!phrase.some(function (p) { return termMatches(terms[i], p); })) continue;
      var span = terms.slice(i, i + width);
      var used = [];
      var all = phrase.every(function (p) {
        for (var k = 0; k < span.length; k++) {
          if (used.indexOf(k) < 0 && termMatches(span[k], p)) { used.push(k); return true; }
        }
        return false;
      });
      if (all) return true;
    }
    return false;
  }

  var OPTIONS = {
    idField: "url",
    fields: FIELDS,
    storeFields: STORED,
    tokenize: indexTerms,
    processTerm: function (term) { return term; },
    searchOptions: {
      tokenize: queryTerms,
      processTerm: function (term) { return term; },
      combineWith: "AND",
      prefix: byPrefix,
      boost: { institution: 4, title: 3, keywords: 2 }
    }
  };

  function chineseRuns(query) {
    return (fold(query).match(RUNS) || []).filter(function (run) { return CJK_RUN.test(run) && run.length > 1; });
  }

  // Where the query's words occur in a text: [start, end] pairs, in order.
  function matches(text, query) {
    var ranges = [];
    var terms = queryTerms(query).filter(function (t) { return !CJK_RUN.test(t); });
    var runs = chineseRuns(query).concat((fold(query).match(RUNS) || []).filter(function (r) {
      return CJK_RUN.test(r) && r.length === 1;
    }));
    var lower = text.toLowerCase();
    runs.forEach(function (run) {
      for (var at = lower.indexOf(run); at >= 0; at = lower.indexOf(run, at + run.length)) ranges.push([at, at + run.length]);
    });
    if (terms.length) {
      var word;
      var pattern = new RegExp(RUNS.source, "gu");
      while ((word = pattern.exec(text))) {
        if (CJK_RUN.test(word[0])) continue;
        var term = wordTerm(fold(word[0]));
        if (terms.some(function (t) { return termMatches(term, t); })) {
          ranges.push([word.index, word.index + word[0].length]);
        }
      }
    }
    return ranges.sort(function (a, b) { return a[0] - b[0]; });
  }

  // A passage around the first match: in Chinese from the start of its clause, in English from a word's start.
  // The first match in a paragraph of prose is shown, rather than one in a short line (a name, a label).
  function excerpt(text, ranges, chinese) {
    var size = chinese ? 110 : 220;
    var best = ranges.filter(function (r) {
      var from = text.lastIndexOf("\n", r[0]) + 1, to = text.indexOf("\n", r[1]);
      return (to < 0 ? text.length : to) - from > (chinese ? 30 : 100);
    })[0] || ranges[0];
    ranges = best ? ranges.filter(function (r) { return r[0] >= best[0]; }) : ranges;
    var first = ranges.length ? ranges[0][0] : 0;
    var start = 0;
    if (chinese) {
      for (var i = first - 1; i >= 0; i--) if (CLAUSE_END.test(text[i])) { start = i + 1; break; }
    } else if (first > 80) {
      start = text.lastIndexOf(" ", first - 60) + 1;
      var line = text.lastIndexOf("\n", first);
      if (line >= start) start = line + 1;
    }
    var end = Math.min(text.length, Math.max(start + size, ranges.length ? ranges[0][1] + 20 : 0));
    var breakAt = text.indexOf("\n", ranges.length ? ranges[0][1] : start);
    if (breakAt > 0 && breakAt < end) end = breakAt;
    return { start: start, end: end, ranges: ranges.filter(function (r) { return r[0] >= start && r[1] <= end; }) };
  }

  function load(url) {
    return fetch(url).then(function (response) {
      if (!response.ok) throw new Error(url + ": " + response.status);
      return response.text();
    }).then(function (json) {
      var index = MiniSearch.loadJSON(json, OPTIONS);
      var pages = {};  // each page's folded text and word terms, made when first needed
      function fields(r) { return [r.title, r.institution, r.keywords, r.text].join("\n"); }
      return {
        // Results, best first: pages whose title or institution the query names, then cases, then the rest; all
        // the pages with the query's words exactly as written before those with its words a little apart.
        search: function (query) {
          if (!query.trim()) return [];
          var runs = chineseRuns(query);
          var phrase = wordTerms(query);
          var terms = queryTerms(query);
          return index.search(query).filter(function (r) {
            // The query as written: its Chinese as a substring, its words next to each other and in order.
            var page = pages[r.id] || (pages[r.id] = { text: fold(fields(r)), words: wordTerms(fields(r)) });
            return runs.every(function (run) { return page.text.indexOf(run) >= 0; }) &&
              (phrase.length < 2 || hasNear(page.words, phrase));
          }).map(function (r) {
            var named = terms.every(function (t) {
              return Object.keys(r.match).some(function (found) {
                var where = r.match[found];
                return termMatches(found, t) && (where.indexOf("title") >= 0 || where.indexOf("institution") >= 0);
              });
            });
            // The pages with the words exactly as written come before those with them a word or two apart.
            var exact = phrase.length < 2 || hasPhrase(pages[r.id].words, phrase);
            return { tier: (exact ? 0 : 3) + (named ? 0 : r.kind === "case" ? 1 : 2), result: r };
          }).sort(function (a, b) { return a.tier - b.tier || b.result.score - a.result.score; }).map(function (x) {
            return x.result;
          });
        },
        options: OPTIONS  // for the test that indexes the pages again in the browser
      };
    });
  }

  // --- the page ---------------------------------------------------------------------------------------------
  var form = document.getElementById("search");
  if (!form) return;
  var input = form.querySelector("input[name=q]");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var chinese = /^zh/i.test(document.documentElement.lang);
  var engine = load(form.getAttribute("data-index"));
  window.siteSearch = engine;

  function say(template, query, n) {
    status.textContent = template.replace("{query}", query).replace("{n}", n);
  }

  function piece(text, ranges, start, end) {
    var p = document.createElement("p");
    p.className = "search-excerpt";
    var at = start;
    if (start > 0 && text[start - 1] !== "\n" && !chinese) p.appendChild(document.createTextNode("…"));
    ranges.forEach(function (r) {
      if (r[0] < at) return;
      p.appendChild(document.createTextNode(text.slice(at, r[0])));
      var mark = document.createElement("mark");
      mark.textContent = text.slice(r[0], r[1]);
      p.appendChild(mark);
      at = r[1];
    });
    p.appendChild(document.createTextNode(text.slice(at, end).replace(/\s+$/, "")));
    if (end < text.length && text[end] !== "\n") p.appendChild(document.createTextNode("…"));
    return p;
  }

  function show(search, query) {
    var results = search.search(query);
    list.textContent = "";
    if (!query.trim()) { status.textContent = ""; return; }
    if (!results.length) { say(form.getAttribute("data-none"), query, 0); return; }
    say(form.getAttribute(results.length === 1 ? "data-one" : "data-many"), query, results.length);
    results.forEach(function (r) {
      var item = document.createElement("li");
      item.className = "search-result";
      var heading = document.createElement("h2");
      var link = document.createElement("a");
      link.href = new URL("../" + r.url, location.href).pathname;
      if (r.section) {
        var number = document.createElement("span");
        number.className = "section-no";
        number.textContent = r.section;
        link.appendChild(number);
        link.appendChild(document.createTextNode(" "));
      }
      link.appendChild(document.createTextNode(r.title));
      heading.appendChild(link);
      item.appendChild(heading);
      var meta = document.createElement("p");
      meta.className = "case-meta";
      meta.textContent = r.institution || form.getAttribute(r.kind === "policy" ? "data-policy" : "data-page");
      item.appendChild(meta);
      var text = r.text;
      var part = excerpt(text, matches(text, query), chinese);
      item.appendChild(piece(text, part.ranges, part.start, part.end));
      list.appendChild(item);
    });
  }

  var pending = null;
  function run(push) {
    var query = input.value;
    var address = query.trim() ? "?q=" + encodeURIComponent(query) : location.pathname;
    history.replaceState(null, "", address);
    engine.then(function (search) { show(search, query); }, function () {
      status.textContent = form.getAttribute("data-failed");
    });
  }
  form.addEventListener("submit", function (event) { event.preventDefault(); run(); });
  input.addEventListener("input", function () { clearTimeout(pending); pending = setTimeout(run, 120); });
  var given = new URLSearchParams(location.search).get("q");
  if (given) { input.value = given; run(); }
})();
