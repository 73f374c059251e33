// backbrain site behaviour: theme toggle, instant search, diagrams, live reload while serving.
// Everything degrades: without JavaScript the pages, links and neighbourhoods still work.
(function () {
  "use strict";
  var doc = document.documentElement;
  var root = doc.getAttribute("data-root") || "";

  // -- theme ---------------------------------------------------------------------------------------
  function setupTheme() {
    var button = document.getElementById("bb-theme");
    if (!button) return;
    function sync() { button.setAttribute("aria-pressed", String(doc.getAttribute("data-theme") === "dark")); }
    sync();
    button.addEventListener("click", function () {
      var next = doc.getAttribute("data-theme") === "dark" ? "light" : "dark";
      doc.setAttribute("data-theme", next);
      try { window.localStorage.setItem("backbrain-theme", next); } catch (e) { /* private mode */ }
      sync();
    });
  }

  // -- search --------------------------------------------------------------------------------------
  var FIELDS = { title: 1, type: 2, summary: 3, aliases: 4, tags: 5, headings: 6, keywords: 7 };
  var index = null, loading = null;

  function norm(text) { return " " + String(text || "").toLowerCase().replace(/[^a-z0-9]+/g, " ") + " "; }

  function loadIndex() {
    if (loading) return loading;
    loading = fetch(root + "search-index.json").then(function (r) {
      if (!r.ok) throw new Error("search index: HTTP " + r.status);
      return r.json();
    }).then(function (data) {
      index = data.notes.map(function (n) {
        return { raw: n, title: norm(n[FIELDS.title]), aliases: norm(n[FIELDS.aliases]), tags: norm(n[FIELDS.tags]),
          headings: norm(n[FIELDS.headings]), summary: norm(n[FIELDS.summary]), keywords: norm(n[FIELDS.keywords]) };
      });
      return index;
    });
    return loading;
  }

  // Title and alias matches rank above summary, above text; a match at the start of a word counts most.
  var WEIGHTS = [["title", 100, 60], ["aliases", 80, 45], ["tags", 40, 20], ["headings", 30, 15],
                 ["summary", 25, 12], ["keywords", 10, 5]];
  function termScore(entry, term) {
    var best = 0;
    for (var i = 0; i < WEIGHTS.length; i++) {
      var field = entry[WEIGHTS[i][0]];
      var score = field.indexOf(" " + term) >= 0 ? WEIGHTS[i][1] : field.indexOf(term) >= 0 ? WEIGHTS[i][2] : 0;
      if (score > best) best = score;
    }
    return best;
  }

  // Notes that match every word come first; a note missing a word still shows after them (the index
  // keeps a bag of each note's words, not its full text, so a strict AND would hide good answers).
  function rank(query) {
    var terms = norm(query).trim().split(" ").filter(Boolean);
    if (!terms.length || !index) return [];
    var whole = " " + terms.join(" ") + " ", hits = [];
    for (var i = 0; i < index.length; i++) {
      var entry = index[i], total = 0, matched = 0;
      for (var t = 0; t < terms.length; t++) {
        var s = termScore(entry, terms[t]);
        if (s) { matched++; total += s; }
      }
      if (!matched) continue;
      if (entry.title === whole || entry.aliases.indexOf(whole) >= 0) total += 200;
      hits.push([matched, total, entry.raw]);
    }
    hits.sort(function (a, b) {
      return b[0] - a[0] || b[1] - a[1] || a[2][FIELDS.title].length - b[2][FIELDS.title].length;
    });
    return hits.slice(0, 20).map(function (h) { return h[2]; });
  }

  function setupSearch() {
    var input = document.getElementById("bb-search"), list = document.getElementById("bb-results");
    var status = document.getElementById("bb-search-status");
    if (!input || !list) return;
    var selected = -1, timer = null;

    function close() { list.hidden = true; input.setAttribute("aria-expanded", "false"); selected = -1; }
    function select(i) {
      var items = list.querySelectorAll("li[role=option]");
      if (!items.length) return;
      selected = (i + items.length) % items.length;
      items.forEach(function (li, j) { li.setAttribute("aria-selected", String(j === selected)); });
      input.setAttribute("aria-activedescendant", items[selected].id);
      items[selected].scrollIntoView({ block: "nearest" });
    }
    function show(results, query) {
      list.textContent = "";
      selected = -1;
      input.removeAttribute("aria-activedescendant");
      if (!query.trim()) { close(); return; }
      results.forEach(function (n, i) {
        var li = document.createElement("li"), a = document.createElement("a");
        li.setAttribute("role", "option"); li.id = "bb-result-" + i; li.setAttribute("aria-selected", "false");
        a.href = root + "note/" + n[0] + "/";
        var type = document.createElement("span"); type.className = "result-type"; type.textContent = n[FIELDS.type] + " ";
        var title = document.createElement("strong"); title.textContent = n[FIELDS.title];
        var summary = document.createElement("span"); summary.className = "result-summary"; summary.textContent = n[FIELDS.summary];
        a.appendChild(type); a.appendChild(title); a.appendChild(summary); li.appendChild(a); list.appendChild(li);
      });
      if (!results.length) {
        var empty = document.createElement("li"); empty.className = "no-results"; empty.textContent = "No notes match “" + query + "”.";
        list.appendChild(empty);
      }
      if (status) status.textContent = results.length + " results";
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }
    function run() {
      var query = input.value;
      loadIndex().then(function () { show(rank(query), query); }).catch(function (err) {
        list.textContent = ""; var li = document.createElement("li"); li.className = "no-results";
        li.textContent = "Search is unavailable: " + err.message; list.appendChild(li); list.hidden = false;
      });
    }
    input.addEventListener("focus", function () { loadIndex().catch(function () {}); if (input.value) run(); });
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 40); });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") { e.preventDefault(); select(selected + 1); }
      else if (e.key === "ArrowUp") { e.preventDefault(); select(selected - 1); }
      else if (e.key === "Enter") {
        var items = list.querySelectorAll("li[role=option] a");
        var target = items[selected >= 0 ? selected : 0];
        if (target) { e.preventDefault(); window.location.href = target.href; }
      } else if (e.key === "Escape") { input.value = ""; close(); }
    });
    document.addEventListener("click", function (e) { if (!e.target.closest || !e.target.closest(".search")) close(); });
    document.addEventListener("keydown", function (e) {
      var tag = (e.target && e.target.tagName) || "";
      if (e.key === "/" && !e.ctrlKey && !e.metaKey && !e.altKey && !/^(INPUT|TEXTAREA|SELECT)$/.test(tag)
          && !(e.target && e.target.isContentEditable)) {
        e.preventDefault(); input.focus(); input.select();
      }
    });
  }

  // -- mermaid diagrams (loaded only on pages that have one) ----------------------------------------
  function setupMermaid() {
    if (!document.querySelector("pre.mermaid")) return;
    var script = document.createElement("script");
    script.src = root + "static/vendor/mermaid.min.js";
    script.onload = function () {
      if (!window.mermaid) return;
      window.mermaid.initialize({ startOnLoad: false, securityLevel: "strict",
        theme: doc.getAttribute("data-theme") === "dark" ? "dark" : "default" });
      window.mermaid.run({ querySelector: "pre.mermaid" }).catch(function (err) {
        if (window.console) console.warn("mermaid:", err && err.message);
      });
    };
    document.head.appendChild(script);
  }

  // -- live reload (only while `backbrain serve` runs) -------------------------------------------------
  function setupLive() {
    if (!document.querySelector('meta[name="backbrain-live"]')) return;
    var banner = document.getElementById("bb-live-status"), seen = null;
    function poll() {
      fetch("/_live/version", { cache: "no-store" }).then(function (r) { return r.json(); }).then(function (data) {
        if (seen !== null && data.version !== seen) { window.location.reload(); return; }
        seen = data.version;
        if (banner) { banner.hidden = !data.error; banner.textContent = data.error ? "Build problem: " + data.error : ""; }
      }).catch(function () {
        if (banner) { banner.hidden = false; banner.textContent = "Waiting for backbrain serve…"; }
      }).then(function () { setTimeout(poll, 1000); });
    }
    poll();
  }

  function start() { setupTheme(); setupSearch(); setupMermaid(); setupLive(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
