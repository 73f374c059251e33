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

  // -- search: ranked by search.js, the same ranking as `backbrain search` ------------------------------
  function loadIndex() { return window.BackbrainSearch.load(root + "search-index.json"); }

  // A snippet's pieces as text nodes and <mark> elements: note text never goes through innerHTML.
  function snippetNode(pieces) {
    var span = document.createElement("span");
    span.className = "result-snippet";
    pieces.forEach(function (piece) {
      if (piece.mark) { var mark = document.createElement("mark"); mark.textContent = piece.text; span.appendChild(mark); }
      else span.appendChild(document.createTextNode(piece.text));
    });
    return span;
  }
  window.backbrainSnippetNode = snippetNode;

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
    function show(result, query) {
      list.textContent = "";
      selected = -1;
      input.removeAttribute("aria-activedescendant");
      if (!query.trim()) { close(); return; }
      if (result.message && result.hits.length) {
        var note = document.createElement("li"); note.className = "search-message"; note.textContent = result.message;
        list.appendChild(note);
      }
      result.hits.forEach(function (n, i) {
        var li = document.createElement("li"), a = document.createElement("a");
        li.setAttribute("role", "option"); li.id = "bb-result-" + i; li.setAttribute("aria-selected", "false");
        li.setAttribute("data-id", n.id);
        a.href = root + "note/" + n.slug + "/";
        var type = document.createElement("span"); type.className = "result-type"; type.textContent = n.type + " ";
        var title = document.createElement("strong"); title.textContent = n.title;
        a.appendChild(type); a.appendChild(title); a.appendChild(snippetNode(n.snippet)); li.appendChild(a); list.appendChild(li);
      });
      if (!result.hits.length) {
        var empty = document.createElement("li"); empty.className = "no-results";
        empty.textContent = result.message || "No notes match “" + query + "”.";
        list.appendChild(empty);
      }
      var more = document.createElement("li"); more.className = "search-all";
      var all = document.createElement("a"); all.href = root + "search/?q=" + encodeURIComponent(query);
      all.textContent = "All results for “" + query + "”"; more.appendChild(all); list.appendChild(more);
      if (status) status.textContent = result.hits.length + " results";
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }
    function run() {
      var query = input.value;
      loadIndex().then(function (engine) {
        var result = engine.search(query, 8);
        // Still typing a word: when the whole words find nothing, complete the last one as a prefix.
        if (!result.hits.length && /[\p{L}\p{N}]$/u.test(query)) {
          var completed = engine.search(query + "*", 8);
          if (completed.hits.length) result = completed;
        }
        show(result, query);
      }).catch(function (err) {
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
        if (target && !list.hidden) { e.preventDefault(); window.location.href = target.href; }
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

  // The /search/ page: under `serve` the server already listed the results (no JavaScript needed);
  // on a static host the same ranking runs here.
  function setupSearchPage() {
    var list = document.getElementById("bb-search-page-results");
    if (!list) return;
    var input = document.getElementById("bb-search-page-q"), message = document.getElementById("bb-search-page-message");
    var query = new URLSearchParams(window.location.search).get("q") || "";
    if (input && !input.value) input.value = query;
    if (list.getAttribute("data-server") === "1" || !query.trim()) return;
    loadIndex().then(function (engine) {
      var result = engine.search(query, 30);
      list.textContent = "";
      result.hits.forEach(function (hit) {
        var li = document.createElement("li"), a = document.createElement("a");
        li.setAttribute("data-id", hit.id);
        a.href = root + "note/" + hit.slug + "/";
        var type = document.createElement("span"); type.className = "result-type"; type.textContent = hit.type;
        var title = document.createElement("strong"); title.textContent = hit.title;
        a.appendChild(type); a.appendChild(document.createTextNode(" ")); a.appendChild(title);
        var p = document.createElement("p"); p.className = "result-snippet"; p.appendChild(snippetNode(hit.snippet));
        li.appendChild(a); li.appendChild(p); list.appendChild(li);
      });
      if (message) message.textContent = result.message || (result.hits.length + " notes match “" + query + "”.");
    }).catch(function (err) { if (message) message.textContent = "Search is unavailable: " + err.message; });
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
        var broken = (data.problems || []).map(function (p) { return p.path + ":" + p.line + " " + p.message; });
        var text = data.error ? "Build problem: " + data.error : "";
        if (broken.length) text += (text ? " " : "") + "Broken front matter: " + broken.join("; ");
        if (banner) { banner.hidden = !text; banner.textContent = text; }
      }).catch(function () {
        if (banner) { banner.hidden = false; banner.textContent = "Waiting for backbrain serve…"; }
      }).then(function () { setTimeout(poll, 1000); });
    }
    poll();
  }

  // -- the outline: a collapsed block above the note on a narrow screen (site.css stacks the columns) ----
  function setupOutline() {
    var details = document.querySelector(".toc details");
    if (details && window.matchMedia && window.matchMedia("(max-width: 60rem)").matches) details.open = false;
  }

  function start() { setupTheme(); setupSearch(); setupSearchPage(); setupMermaid(); setupOutline(); setupLive(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
