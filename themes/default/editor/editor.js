/* The case editor of the live preview: draws the form from the server's form description, checks as you type,
   saves. Plain JavaScript, no framework and no build step; every request goes to /_editor/api/ on this preview.

   The case is kept as plain JSON in the YAML file's own shape (`data`); each input writes its value into it at its
   dotted path ("profile.keywords.0.zh"; the server names the same field "profile.keywords[0].zh", as validate does). */
(function () {
  "use strict";

  var meta = function (name) { var m = document.querySelector('meta[name="' + name + '"]'); return m ? m.content : ""; };
  var TOKEN = meta("editor-token"), LANG = meta("editor-lang") || "en", CASE = meta("editor-case");
  var S = JSON.parse(document.getElementById("editor-strings").textContent);
  var CHECK_DELAY = 400, PREVIEW_DELAY = 400;

  var state = {
    form: null,          // the form description
    file: "",            // the file the case is saved to
    version: "",         // sha256 of the file when it was opened or last saved ('' for a new case)
    data: null,          // the case as it stands in the form
    original: null,      // the case as it was opened (to keep what the file already had)
    translation: {},     // per-field translation state, from open / mark
    problems: [],
    dirty: false,
    checkSeq: 0
  };

  /* --- small helpers --------------------------------------------------------------------------------------- */
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, key) { return key in values ? String(values[key]) : m; });
  }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "text") node.textContent = value;
      else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }
  function debounce(fn, delay) {
    var timer = null;
    return function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, delay);
    };
  }
  function idFor(path) { return "f-" + path.replace(/\./g, "--"); }
  /* The server names fields as validate does, "profile.keywords[2].en"; the form's paths are "profile.keywords.2.en". */
  function norm(path) { return String(path || "").replace(/\[(\d+)\]/g, ".$1"); }
  function get(obj, path) {
    return path.split(".").reduce(function (o, k) { return o === undefined || o === null ? undefined : o[k]; }, obj);
  }
  function set(obj, path, value) {
    var keys = path.split("."), last = keys.pop();
    keys.forEach(function (k, i) {
      if (obj[k] === undefined || obj[k] === null || typeof obj[k] !== "object") {
        obj[k] = /^\d+$/.test(keys[i + 1] || last) ? [] : {};
      }
      obj = obj[k];
    });
    obj[last] = value;
  }
  function copy(value) { return value === undefined ? undefined : JSON.parse(JSON.stringify(value)); }
  var HTML_LANG = { en: "en", zh: "zh-CN" };
  var SEP = LANG === "zh" ? "" : " ", DASH = LANG === "zh" ? "——" : " — ";  // Chinese takes no spaces
  var LIST_SEP = LANG === "zh" ? "，" : " · ";
  var AROUND = S.fieldLanguage.split("{language}");  // what the label of one language's box says around its name

  /* --- the server ------------------------------------------------------------------------------------------- */
  function api(name, body) {
    body.lang = LANG;
    return fetch("/_editor/api/" + name, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Editor-Token": TOKEN },
      body: JSON.stringify(body),
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().catch(function () { return { error: response.status + " " + response.statusText }; })
        .then(function (json) { return { status: response.status, body: json }; });
    }, function () {
      return { status: 0, body: { error: S.networkError } };
    });
  }

  /* --- start ------------------------------------------------------------------------------------------------ */
  var status = document.getElementById("editor-status");
  var formNode = document.getElementById("editor-form");
  var fieldsNode = document.getElementById("editor-fields");
  var loading = document.getElementById("editor-loading");

  function say(text, link) {
    status.textContent = "";
    status.appendChild(el("p", { text: text }));
    if (link) status.appendChild(el("p", {}, [el("a", { href: link.href, text: link.text, onclick: openWhenBuilt })]));
  }

  // A case saved for the first time has no page until the preview's rebuild has written it: follow the link
  // once the preview says the page is there (or after 15 s), instead of showing "page not found" meanwhile.
  function openWhenBuilt(event) {
    if (event.button || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    var href = event.currentTarget.getAttribute("href");
    var tries = 0;
    (function check() {
      api("built", { file: "cases/" + ((state.data && state.data.id) || CASE) + ".yaml" }).then(function (answer) {
        if (answer.body.built || answer.status !== 200 || ++tries >= 75) window.location.href = href;
        else window.setTimeout(check, 200);
      });
    })();
  }

  api("form", {}).then(function (answer) {
    if (answer.status !== 200) throw new Error(answer.body.error || answer.status);
    state.form = answer.body;
    if (CASE) return openCase({ case_id: CASE });
    choosePartner();
  }).catch(function (error) {
    loading.textContent = fill(S.loadFailed, { error: error.message || error });
  });

  function findField(fields, key) {
    for (var i = 0; i < fields.length; i++) if (fields[i].key === key) return fields[i];
    return null;
  }

  /* A new case starts from the scaffold of the partner's next free section: ask for the partner first. */
  function choosePartner() {
    var partner = findField(state.form.fields, "partner");
    loading.hidden = true;
    var select = el("select", { id: "editor-partner", name: "partner" },
      (partner ? partner.choices : []).map(function (c) { return el("option", { value: c.value, text: c.label }); }));
    var start = el("form", { id: "editor-start", class: "editor-start" }, [
      el("label", { for: "editor-partner", text: S.partnerChoice }), select,
      el("button", { type: "submit", class: "editor-primary", text: S.start })
    ]);
    start.addEventListener("submit", function (event) {
      event.preventDefault();
      start.remove();
      openCase({ "new": { partner: select.value } });
    });
    formNode.parentNode.insertBefore(start, formNode);
    select.focus();
  }

  function openCase(request) {
    loading.hidden = false;
    return api("open", request).then(function (answer) {
      if (answer.status !== 200) throw new Error(answer.body.error || answer.status);
      var opened = answer.body;
      state.file = opened.file;
      state.version = opened.version || "";
      state.data = opened.data;
      state.original = copy(opened.data);
      state.translation = opened.translation || {};
      state.dirty = false;
      draw();
      loading.hidden = true;
      formNode.hidden = false;
      if (opened.draft) say(S.openedDraft);
      check();
    }).catch(function (error) {
      loading.hidden = false;
      loading.textContent = fill(S.loadFailed, { error: error.message || error });
    });
  }

  /* --- drawing the form -------------------------------------------------------------------------------------- */
  function draw() {
    fieldsNode.textContent = "";
    state.form.fields.forEach(function (field) {
      fieldsNode.appendChild(drawField(field, field.key, field.label || field.key, 0));
    });
    showTranslation();
    fitAll();
  }

  function fitAll() { if (!SIZES_ITSELF) document.querySelectorAll("textarea.one-line").forEach(fit); }
  window.addEventListener("resize", debounce(fitAll, 200));

  function changed() {
    state.dirty = true;
    scheduleCheck();
  }

  /* One field: its wrapper (id w-<path>) holds the label, help, inputs and the place for its problems. */
  function drawField(field, path, label, depth) {
    var kind = field.kind;
    if (kind === "group") return drawGroup(field, path, label, depth);
    if (kind === "list") return drawList(field, path, label, depth);
    var wrapper = el("div", { class: "field field-" + kind, id: "w-" + idFor(path), "data-path": path });
    var helpId = helpText(field, label) ? idFor(path) + "-help" : null;
    var help = helpId ? el("p", { class: "field-help", id: helpId, text: field.help }) : null;
    if (kind === "text" || kind === "markdown") {
      var fieldset = el("fieldset", { class: "bilingual" }, [legend(label, field.required), help]);
      var pair = el("div", { class: "pair" });
      ["en", "zh"].forEach(function (code) { pair.appendChild(drawLanguage(field, path, code, label, helpId)); });
      fieldset.appendChild(pair);
      wrapper.appendChild(fieldset);
    } else if (kind === "date") {
      wrapper.appendChild(drawDate(field, path, label, help, helpId));
    } else {
      var input = kind === "choice" ? drawChoice(field, path) : drawInput(field, path);
      describe(input, helpId);
      wrapper.appendChild(el("label", { for: input.id, class: "field-label" }, [label, requiredMark(field.required)]));
      if (help) wrapper.appendChild(help);
      wrapper.appendChild(input);
    }
    wrapper.appendChild(el("div", { class: "field-problems", id: idFor(path) + "-problems" }));
    return wrapper;
  }

  /* The help of a field, unless it only repeats the field's name ("Case study author(s)." under "Case study author(s)"). */
  function helpText(field, label) {
    var plain = function (s) { return String(s || "").replace(/[\s.。:：]+/g, "").toLowerCase(); };
    return field.help && plain(field.help) !== plain(field.label || label) ? field.help : "";
  }

  function legend(label, required) {
    return el("legend", { class: "field-label" }, [label, requiredMark(required)]);
  }
  function requiredMark(required) {
    return required ? el("span", { class: "required", text: SEP + S.required }) : null;
  }
  function describe(input, id) {
    if (id) input.setAttribute("aria-describedby", id);
    input.dataset.help = id || "";
  }

  function drawInput(field, path) {
    var type = { url: "url", email: "email" }[field.kind] || "text";
    var value = get(state.data, path);
    var input = el("input", { type: type, id: idFor(path), name: path, "data-path": path,
      value: value === undefined || value === null ? "" : String(value), autocomplete: "off",
      spellcheck: field.kind === "string" ? "true" : "false" });
    if (field.kind === "url" || field.kind === "email") input.setAttribute("dir", "ltr");
    input.addEventListener("input", function () {
      set(state.data, path, input.value);
      if (path === "id") followId(input.value);
      changed();
    });
    return input;
  }

  /* A new case's file name is its id: it follows what is typed there. */
  function followId(id) {
    if (!state.version && /^[a-z0-9-]+$/.test(id)) state.file = "cases/" + id + ".yaml";
  }

  function drawChoice(field, path) {
    var value = get(state.data, path);
    var options = [el("option", { value: "", text: S.choose })];
    (field.choices || []).forEach(function (c) {
      options.push(el("option", { value: c.value, text: c.label, selected: c.value === value }));
    });
    var select = el("select", { id: idFor(path), name: path, "data-path": path }, options);
    if (value !== undefined && value !== null && value !== "" && select.value !== String(value)) {
      // A value the form does not offer stays selectable, so that opening and saving never changes it.
      select.appendChild(el("option", { value: value, text: value, selected: true }));
    }
    select.addEventListener("change", function () { set(state.data, path, select.value); changed(); });
    return select;
  }

  /* English and Chinese of one text, side by side; Markdown gets a rendered preview under each. */
  function drawLanguage(field, path, code, label, helpId) {
    var inputPath = path + "." + code;
    var id = idFor(inputPath);
    var value = get(state.data, inputPath);
    value = value === undefined || value === null ? "" : String(value);
    var name = code === "en" ? S.english : S.chinese;
    var markdown = field.kind === "markdown";
    var input = markdown
      ? el("textarea", { id: id, name: inputPath, rows: 6, lang: HTML_LANG[code], "data-path": inputPath })
      : oneLine(el("textarea", { id: id, name: inputPath, rows: 1, lang: HTML_LANG[code], "data-path": inputPath,
        class: "one-line", "aria-multiline": "false", autocomplete: "off" }));
    input.value = value;
    describe(input, helpId);
    var column = el("div", { class: "language language-" + code, id: "w-" + id, "data-path": inputPath }, [
      el("label", { for: id, class: "language-label" }, [
        el("span", { class: "visually-hidden", text: fill(AROUND[0], { field: label }) }), name,
        AROUND[1] ? el("span", { class: "visually-hidden", text: fill(AROUND[1], { field: label }) }) : null]),
      input,
      el("div", { class: "field-problems", id: id + "-problems" })
    ]);
    if (code === "zh") column.appendChild(el("div", { class: "translation", id: id + "-translation" }));
    var preview = null;
    if (markdown) {
      // Focusable: a long preview scrolls, and a keyboard must be able to scroll it.
      preview = el("div", { class: "markdown-preview", lang: HTML_LANG[code], role: "region", tabindex: "0",
        "aria-label": fill(S.previewOf, { field: fill(S.fieldLanguage, { field: label, language: name }) }) });
      column.appendChild(el("div", { class: "preview-label", "aria-hidden": "true", text: S.preview }));
      column.appendChild(preview);
      renderPreview(preview, value);
    }
    var update = preview ? debounce(function () { renderPreview(preview, input.value); }, PREVIEW_DELAY) : null;
    input.addEventListener("input", function () {
      set(state.data, inputPath, input.value);
      if (update) update();
      changed();
    });
    return column;
  }

  /* A one-line text that wraps on screen, so that a long name is seen whole (a single-line input cuts it off):
     Enter adds no line break, and line breaks pasted in become spaces. */
  function oneLine(box) {
    box.addEventListener("keydown", function (event) { if (event.key === "Enter") event.preventDefault(); });
    box.addEventListener("input", function () {
      if (/[\r\n]/.test(box.value)) box.value = box.value.replace(/\s*[\r\n]+\s*/g, " ");
      fit(box);
    });
    return box;
  }
  var SIZES_ITSELF = window.CSS && CSS.supports && CSS.supports("field-sizing", "content");
  function fit(box) {
    if (SIZES_ITSELF) return;
    box.style.height = "auto";
    box.style.height = box.scrollHeight + 2 + "px";
  }

  function renderPreview(node, text) {
    if (!text.trim()) {
      node.asked = (node.asked || 0) + 1;
      node.textContent = "";
      node.appendChild(el("p", { class: "preview-empty", text: S.previewEmpty }));
      return;
    }
    var asked = (node.asked = (node.asked || 0) + 1);
    api("markdown", { text: text }).then(function (answer) {
      if (asked !== node.asked) return;  // a newer text is being rendered: an older answer must not replace it
      // The server renders and sanitises exactly as the site does, so its HTML is safe to show.
      if (answer.status === 200) node.innerHTML = answer.body.html;
    });
  }

  /* A partial date: a year, then optionally a month, then optionally a day ("YYYY[-MM[-DD]]"). */
  function drawDate(field, path, label, help, helpId) {
    var value = String(get(state.data, path) || "");
    var parts = value.split("-");
    var base = idFor(path);
    var year = el("input", { type: "text", id: base, name: path + ".year", inputmode: "numeric", maxlength: 4,
      size: 5, autocomplete: "off", value: parts[0] || "", "data-path": path, pattern: "[0-9]{4}" });
    function numbers(count, chosen) {
      var options = [el("option", { value: "", text: "—" })];
      for (var n = 1; n <= count; n++) {
        var two = (n < 10 ? "0" : "") + n;
        options.push(el("option", { value: two, text: String(n), selected: two === chosen }));
      }
      return options;
    }
    var month = el("select", { id: base + "-month", name: path + ".month", "data-path": path }, numbers(12, parts[1]));
    var day = el("select", { id: base + "-day", name: path + ".day", "data-path": path }, numbers(31, parts[2]));
    [year, month, day].forEach(function (input) {
      describe(input, helpId);
      input.addEventListener(input === year ? "input" : "change", function () {
        var text = year.value.trim();
        if (text && month.value) text += "-" + month.value + (day.value ? "-" + day.value : "");
        set(state.data, path, text);
        changed();
      });
    });
    return el("fieldset", { class: "date" }, [legend(label, field.required), help,
      el("div", { class: "date-parts" }, [
        el("span", {}, [el("label", { for: year.id, text: S.year }), year]),
        el("span", {}, [el("label", { for: month.id, text: S.month }), month]),
        el("span", {}, [el("label", { for: day.id, text: S.day }), day])
      ])]);
  }

  function drawGroup(field, path, label, depth) {
    var help = helpText(field, label) ? el("p", { class: "field-help", text: field.help }) : null;
    var inner = field.fields.map(function (f) { return drawField(f, path + "." + f.key, f.label || f.key, depth + 1); });
    var problems = el("div", { class: "field-problems", id: idFor(path) + "-problems" });
    if (depth === 0) {
      var headingId = idFor(path) + "-heading";
      return el("section", { class: "group", id: "w-" + idFor(path), "data-path": path, "aria-labelledby": headingId },
        [el("h2", { id: headingId, text: label }), help, problems].concat(inner));
    }
    return el("fieldset", { class: "group", id: "w-" + idFor(path), "data-path": path },
      [legend(label, field.required), help, problems].concat(inner));
  }

  /* A list: its items in order, each with move up / move down / remove, and an "add" button at the end. */
  function drawList(field, path, label, depth) {
    var items = get(state.data, path);
    if (!Array.isArray(items)) items = [];
    var help = helpText(field, label) ? el("p", { class: "field-help", text: field.help }) : null;
    var list = el("ol", { class: "list-items" });
    items.forEach(function (item, index) {
      var itemLabel = fill(S.item, { field: label, number: index + 1 });
      var itemPath = path + "." + index;
      var body = drawField(field.item, itemPath, itemLabel, depth + 1);
      var controls = el("div", { class: "list-controls" }, [
        button(S.moveUpShort, fill(S.moveUp, { item: itemLabel }), index === 0, function () { move(path, index, -1, "up"); }, "up"),
        button(S.moveDownShort, fill(S.moveDown, { item: itemLabel }), index === items.length - 1,
          function () { move(path, index, 1, "down"); }, "down"),
        button(S.removeShort, fill(S.remove, { item: itemLabel }), false, function () { remove(path, index); }, "remove")
      ]);
      list.appendChild(el("li", { class: "list-item" }, [body, controls]));
    });
    var add = button("+ " + S.addShort, fill(S.add, { field: label }), false, function () { append(field, path); }, "add");
    return el("fieldset", { class: "list", id: "w-" + idFor(path), "data-path": path },
      [legend(label, field.required), help, el("div", { class: "field-problems", id: idFor(path) + "-problems" }),
        list, add]);
  }

  function button(text, name, disabled, action, role) {
    return el("button", { type: "button", class: "list-button list-" + role, "aria-label": name, title: name,
      disabled: disabled, onclick: action, text: text });
  }

  function emptyValue(field) {
    if (field.kind === "text" || field.kind === "markdown") return { en: "", zh: "" };
    if (field.kind === "group") {
      var value = {};
      field.fields.forEach(function (f) { if (f.required) value[f.key] = emptyValue(f); });
      return value;
    }
    if (field.kind === "list") return [];
    return "";
  }

  /* After a list changes shape, redraw it and put the focus back where the keyboard user expects it. */
  function redrawList(path, focusPath, focusRole) {
    var field = fieldAt(path);
    var old = document.getElementById("w-" + idFor(path));
    var label = old.querySelector("legend").firstChild.textContent;
    var depth = path.split(".").length - 1;
    var fresh = drawList(field, path, label, depth);
    old.replaceWith(fresh);
    fitAll();
    showTranslation();
    showProblems();
    var target = null;
    if (focusRole) {
      var items = fresh.querySelectorAll(":scope > ol > li");
      var index = Number(focusPath);
      if (focusRole === "add") target = fresh.querySelector(":scope > .list-add");
      else if (items[index]) {
        target = items[index].querySelector(":scope > .list-controls > .list-" + focusRole + ":not([disabled])") ||
          items[index].querySelector("input, textarea, select");
      }
      if (!target) target = items.length ? items[Math.min(index, items.length - 1)].querySelector("input, textarea, select")
        : fresh.querySelector(":scope > .list-add");
    }
    if (target) target.focus();
    changed();
  }

  function fieldAt(path) {
    var fields = state.form.fields, field = null;
    path.split(".").forEach(function (key) {
      if (/^\d+$/.test(key)) { fields = field.item.fields || []; return; }
      field = findField(fields, key);
      fields = field && field.kind === "group" ? field.fields : (field && field.item && field.item.fields) || [];
    });
    return field;
  }

  function move(path, index, step, role) {
    var items = get(state.data, path);
    var item = items.splice(index, 1)[0];
    items.splice(index + step, 0, item);
    redrawList(path, index + step, role);
  }
  function remove(path, index) {
    get(state.data, path).splice(index, 1);
    redrawList(path, index, "remove");
  }
  function append(field, path) {
    var items = get(state.data, path);
    if (!Array.isArray(items)) { items = []; set(state.data, path, items); }
    items.push(emptyValue(field.item));
    redrawList(path, items.length - 1, "first");  // no such button: the new item's first input takes the focus
  }

  /* --- what is sent ------------------------------------------------------------------------------------------ */
  function isEmpty(value) {
    if (value === undefined || value === null || value === "") return true;
    if (Array.isArray(value)) return value.length === 0;
    if (typeof value === "object") return Object.keys(value).every(function (k) { return isEmpty(value[k]); });
    return false;
  }

  /* Drop the optional fields left empty, unless the opened file already had them just so (its lines stay). */
  function cleaned(value, fields, original) {
    if (!value || typeof value !== "object" || Array.isArray(value)) return value;
    var out = {};
    Object.keys(value).forEach(function (key) {
      var field = fields ? findField(fields, key) : null;
      var inner = value[key];
      var before = original && typeof original === "object" ? original[key] : undefined;
      if (field && field.kind === "group") inner = cleaned(inner, field.fields, before);
      else if (field && field.kind === "list" && Array.isArray(inner) && field.item.kind === "group") {
        inner = inner.map(function (item, i) {
          return cleaned(item, field.item.fields, Array.isArray(before) ? before[i] : undefined);
        });
      }
      var keep = !field || field.required || !isEmpty(inner) ||
        (state.version && JSON.stringify(before) === JSON.stringify(inner));
      if (keep) out[key] = inner;
    });
    return out;
  }
  function payload() { return cleaned(state.data, state.form.fields, state.original); }

  /* --- checking as you type ---------------------------------------------------------------------------------- */
  var scheduleCheck = debounce(check, CHECK_DELAY);

  function check() {
    var seq = ++state.checkSeq;
    return api("check", { file: state.file, data: payload() }).then(function (answer) {
      if (seq !== state.checkSeq) return;  // a later check is on its way
      if (answer.status !== 200) {
        say(fill(S.checkFailed, { error: answer.body.error || answer.status }));
        return;
      }
      state.problems = answer.body.problems || [];
      showProblems();
    });
  }

  function errors() { return state.problems.filter(function (p) { return p.severity !== "warning"; }); }

  /* The nearest drawn field for a problem's dotted path: the input itself, else the field or group around it. */
  function placeFor(path) {
    var keys = norm(path).split(".");
    while (keys.length && keys[0]) {
      var id = idFor(keys.join("."));
      var input = document.getElementById(id);
      var wrapper = document.getElementById("w-" + id);
      if (input || wrapper) {
        return { input: input && /^(INPUT|TEXTAREA|SELECT)$/.test(input.tagName) ? input : null,
          wrapper: wrapper, box: document.getElementById(id + "-problems") };
      }
      keys.pop();
    }
    return null;
  }

  function showProblems() {
    document.querySelectorAll(".field-problems").forEach(function (box) { box.textContent = ""; });
    document.querySelectorAll("[aria-invalid]").forEach(function (input) {
      input.removeAttribute("aria-invalid");
      input.setAttribute("aria-describedby", input.dataset.help || "");
      if (!input.dataset.help) input.removeAttribute("aria-describedby");
    });
    document.querySelectorAll(".has-problem").forEach(function (node) { node.classList.remove("has-problem"); });
    var summary = document.getElementById("editor-summary");
    var title = document.getElementById("editor-summary-title");
    var list = document.getElementById("editor-summary-list");
    list.textContent = "";
    var general = [];
    state.problems.forEach(function (problem, n) {
      var place = placeFor(problem.field);
      var kind = problem.severity === "warning" ? S.warning : S.error;
      var text = problem.message + (problem.hint ? DASH + problem.hint : "");
      if (!place || !place.box) { general.push({ problem: problem, kind: kind, text: text }); return; }
      var id = "problem-" + n;
      place.box.appendChild(el("p", { class: "problem problem-" + problem.severity, id: id },
        [el("strong", { text: kind + SEP }), text]));
      (place.wrapper || place.box.parentNode).classList.add("has-problem");
      var inputs = place.input ? [place.input]
        : Array.prototype.slice.call((place.wrapper || place.box.parentNode).querySelectorAll("input, textarea, select"))
          .filter(function (i) { return i.closest(".list-item") === (place.wrapper || place.box).closest(".list-item"); });
      inputs.forEach(function (input) {
        var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
        described.push(id);
        input.setAttribute("aria-describedby", described.join(" "));
        if (problem.severity !== "warning") input.setAttribute("aria-invalid", "true");
      });
      var target = place.input || inputs[0];
      list.appendChild(el("li", { class: "problem-" + problem.severity }, [
        el("a", { href: "#" + (target ? target.id : place.box.id), onclick: function (event) {
          if (target) { event.preventDefault(); target.focus(); target.scrollIntoView({ block: "center" }); }
        } }, [el("strong", { text: kind + SEP }), nameOf(place, problem.field) + DASH + problem.message])
      ]));
    });
    var count = errors().length, warnings = state.problems.length - count;
    summary.hidden = false;
    var generalBox = document.getElementById("editor-general");
    if (generalBox) generalBox.remove();
    if (general.length) {
      generalBox = el("div", { id: "editor-general", class: "editor-general" }, [el("h3", { text: S.general })].concat(
        general.map(function (g) {
          return el("p", { class: "problem problem-" + g.problem.severity }, [el("strong", { text: g.kind + SEP }), g.text]);
        })));
      summary.insertBefore(generalBox, list);
    }
    title.textContent = count ? fill(S.problemsRemain, { count: count }) + (warnings ? LIST_SEP + fill(S.warningsRemain, { count: warnings }) : "")
      : warnings ? S.noProblems + " " + fill(S.warningsRemain, { count: warnings }) : S.noProblems;
    summary.classList.toggle("clean", count === 0);
    var save = document.getElementById("editor-save"), draft = document.getElementById("editor-save-draft");
    var remaining = document.getElementById("editor-remaining");
    save.disabled = count > 0;
    draft.hidden = count === 0;
    remaining.hidden = count === 0;
    remaining.textContent = count ? fill(S.remaining, { count: count }) : "";
  }

  /* --- translation state ------------------------------------------------------------------------------------- */
  function renderDiff(lines) {
    var box = el("div", { class: "word-diff", lang: "en" });
    (Array.isArray(lines) ? lines : String(lines || "").split("\n")).forEach(function (line) {
      var p = el("p");
      var pattern = /\[-([\s\S]*?)-\]|\{\+([\s\S]*?)\+\}/g, at = 0, m;
      while ((m = pattern.exec(line))) {
        if (m.index > at) p.appendChild(document.createTextNode(line.slice(at, m.index)));
        if (m[1] !== undefined) p.appendChild(el("del", {}, [el("span", { class: "visually-hidden", text: "[" + S.removed + ": " }), m[1],
          el("span", { class: "visually-hidden", text: "]" })]));
        else p.appendChild(el("ins", {}, [el("span", { class: "visually-hidden", text: "[" + S.added + ": " }), m[2],
          el("span", { class: "visually-hidden", text: "]" })]));
        at = pattern.lastIndex;
      }
      if (at < line.length) p.appendChild(document.createTextNode(line.slice(at)));
      box.appendChild(p);
    });
    return box;
  }

  function showTranslation() {
    document.querySelectorAll(".translation").forEach(function (box) {
      box.textContent = "";
      box.parentNode.classList.remove("stale");
    });
    Object.keys(state.translation || {}).forEach(function (key) {
      var entry = state.translation[key], path = norm(key);
      var box = document.getElementById(idFor(path + ".zh") + "-translation");
      // "translated" (or "fresh"): nothing to say; "missing": no Chinese yet, its problem says so already.
      if (!box || !entry || /^(translated|fresh|missing)$/.test(entry.state)) return;
      var label = labelOf(path);
      if (entry.state === "stale") {
        box.parentNode.classList.add("stale");
        box.appendChild(el("p", { class: "translation-note", text: S.stale }));
        box.appendChild(renderDiff(entry.diff));
      } else {
        box.appendChild(el("p", { class: "translation-note quiet", text: S.untranslated }));
      }
      box.appendChild(el("button", { type: "button", class: "mark-translated", "aria-label": fill(S.markTranslatedOf, { field: label }),
        text: S.markTranslated, onclick: function () { mark(key, path, label); } }));
    });
  }

  /* The name a problem's field has on the form: "HEI name · English", "Key words, item 1". */
  function nameOf(place, fallback) {
    var wrapper = place.wrapper;
    if (!wrapper) return fallback || "";
    var own = wrapper.querySelector(":scope > label, :scope > fieldset > legend, :scope > legend, :scope > section > h2, :scope > h2");
    var text = own ? own.firstChild.textContent : fallback;
    if (wrapper.classList.contains("language")) {
      var outer = wrapper.closest("fieldset").querySelector("legend");
      text = fill(S.fieldLanguage, { field: outer.firstChild.textContent, language: own.childNodes[1].textContent });
    }
    return text;
  }

  function labelOf(path) {
    var wrapper = document.getElementById("w-" + idFor(path));
    var legendNode = wrapper && wrapper.querySelector("legend");
    return legendNode ? legendNode.firstChild.textContent : path;
  }

  function mark(key, path, label) {
    api("mark", { file: state.file, fields: [key] }).then(function (answer) {
      if (answer.status !== 200) { say(fill(S.markFailed, { error: answer.body.error || answer.status })); return; }
      state.translation = answer.body.translation || {};
      showTranslation();
      say(fill(S.marked, { field: label }));
      var input = document.getElementById(idFor(path + ".zh"));
      if (input) input.focus();
    });
  }

  /* --- saving ------------------------------------------------------------------------------------------------ */
  formNode.addEventListener("submit", function (event) { event.preventDefault(); save(false); });
  document.getElementById("editor-save-draft").addEventListener("click", function () { save(true); });

  function caseLink() {
    var id = (state.data && state.data.id) || CASE;
    return { href: "/" + LANG + "/cases/" + id + "/", text: S.viewCase };
  }

  function save(asDraft) {
    say(S.saving);
    api("save", { file: state.file, data: payload(), version: state.version, draft: !!asDraft }).then(function (answer) {
      var body = answer.body;
      if (answer.status === 200) {
        state.version = body.version;
        state.dirty = false;
        state.original = copy(state.data);
        if (body.draft) {
          state.problems = body.problems || state.problems;
          showProblems();
          say(fill(S.savedDraft, { file: body.saved, count: errors().length }));
        } else {
          say(fill(S.saved, { file: body.saved }), caseLink());
          var id = state.data.id;
          if (!CASE && id) {  // the new case now has a file: this page edits it from now on
            CASE = id;
            history.replaceState(null, "", "/_editor/" + LANG + "/edit/" + id);
          }
        }
        hideConflict();
      } else if (answer.status === 422 && body.problems) {
        state.problems = body.problems || [];
        showProblems();
        say(fill(S.saveRefused, { count: errors().length }));
      } else if (answer.status === 409 && body.conflict && state.version === "") {
        // A new case whose id is taken: no one changed this case; the other file is not this form's to reload.
        say(body.error || S.conflictTitle);
        var idInput = document.getElementById("f-id");
        if (idInput) idInput.focus();
      } else if (answer.status === 409 && body.conflict) {
        say(S.conflictTitle);
        showConflict(body.conflict);
      } else {
        say(fill(S.saveFailed, { error: body.error || answer.status }));
      }
    });
  }

  /* --- a conflict: both versions side by side; nothing is lost -------------------------------------------------- */
  function showConflict(conflict) {
    var box = document.getElementById("editor-conflict");
    box.textContent = "";
    var yours = el("pre", { id: "conflict-yours", tabindex: "0", "aria-labelledby": "conflict-yours-title" },
      linesOf(conflict.yours, conflict.disk));
    var copyStatus = el("p", { class: "conflict-copy-status", role: "status" });
    box.appendChild(el("h2", { id: "editor-conflict-title", tabindex: "-1", text: S.conflictTitle }));
    box.appendChild(el("p", { text: S.conflictText + SEP + S.conflictHighlight }));
    box.appendChild(el("div", { class: "conflict-versions" }, [
      el("div", {}, [el("h3", { id: "conflict-disk-title", text: S.conflictDisk }),
        el("pre", { id: "conflict-disk", tabindex: "0", "aria-labelledby": "conflict-disk-title" },
          linesOf(conflict.disk, conflict.yours))]),
      el("div", {}, [el("h3", { id: "conflict-yours-title", text: S.conflictYours }), yours])
    ]));
    box.appendChild(el("div", { class: "editor-actions" }, [
      el("button", { type: "button", id: "conflict-copy", class: "editor-primary", text: S.copyYours, onclick: function () {
        var done = function () { copyStatus.textContent = S.copied; };
        var failed = function () {
          var range = document.createRange();
          range.selectNodeContents(yours);
          var selection = window.getSelection();
          selection.removeAllRanges();
          selection.addRange(range);
          copyStatus.textContent = S.copyFailed;
        };
        if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(conflict.yours).then(done, failed);
        else failed();
      } }),
      el("button", { type: "button", id: "conflict-reload", text: S.reload, onclick: function () {
        hideConflict();
        openCase({ case_id: CASE || state.data.id }).then(function () { say(S.reloaded); });
      } })
    ]));
    box.appendChild(copyStatus);
    box.hidden = false;
    box.querySelector("h2").focus();
  }
  /* The lines of `text`, those the other version lacks marked, so that the difference is found at a glance. */
  function linesOf(text, other) {
    var count = {};
    other.split("\n").forEach(function (line) { count[line] = (count[line] || 0) + 1; });
    return text.split("\n").map(function (line, i, all) {
      var shared = count[line] > 0;
      if (shared) count[line] -= 1;
      var end = i < all.length - 1 ? "\n" : "";
      return shared ? document.createTextNode(line + end) : el("mark", { class: "line-differs" }, [line + end]);
    });
  }

  function hideConflict() {
    var box = document.getElementById("editor-conflict");
    box.hidden = true;
    box.textContent = "";
  }

  /* Ctrl+S (⌘S) saves as the Save button does; while errors remain it shows what remains instead. */
  document.addEventListener("keydown", function (event) {
    if (!(event.ctrlKey || event.metaKey) || event.key.toLowerCase() !== "s" || formNode.hidden) return;
    event.preventDefault();
    var button = document.getElementById("editor-save");
    if (!button.disabled) save(false);
    else document.getElementById("editor-summary-title").focus();
  });

  window.addEventListener("beforeunload", function (event) {
    if (state.dirty) { event.preventDefault(); event.returnValue = ""; }
  });
})();
