// Hover previews of internal links: hovering or focusing a link to a note shows a small card with the
// note's title, type and summary (from search-index.json, fetched once, on first use). The card is built
// with textContent only, never innerHTML, so a title like "<img onerror=...>" stays text. Escape, moving
// away or leaving the link hides it; the link points at it with aria-describedby while it shows.
(function () {
  "use strict";
  var root = document.documentElement.getAttribute("data-root") || "";
  var NOTE_PATH = /\/note\/([^\/?#]+)\/?(?:[?#].*)?$/;
  var HOVER_DELAY = 250;
  var byslug = null, loading = null, card = null, current = null, timer = 0;

  function load() {
    if (loading) return loading;
    loading = fetch(root + "search-index.json").then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(function (data) {
      var fields = data.fields || [];
      var at = { slug: fields.indexOf("slug"), title: fields.indexOf("title"), type: fields.indexOf("type"),
                 summary: fields.indexOf("summary") };
      byslug = {};
      (data.notes || []).forEach(function (row) {
        byslug[row[at.slug]] = { title: row[at.title] || "", type: at.type >= 0 ? row[at.type] : "",
                                 summary: at.summary >= 0 ? row[at.summary] : "" };
      });
      return byslug;
    });
    return loading;
  }

  function slugOf(link) {
    if (!link || link.tagName !== "A" || !link.href || link.origin !== window.location.origin) return null;
    if (link.closest && link.closest(".site-nav, .site-header, .search-results, .link-preview")) return null;
    var match = NOTE_PATH.exec(link.pathname + link.hash);
    if (!match) return null;
    var here = NOTE_PATH.exec(window.location.pathname);
    var slug = decodeURIComponent(match[1]);
    return here && decodeURIComponent(here[1]) === slug && link.hash ? null : slug;
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    node.className = className;
    node.textContent = text;
    return node;
  }

  function show(link, slug) {
    load().then(function (notes) {
      var note = notes[slug];
      if (!note || current !== link) return;
      hide(false);
      card = document.createElement("div");
      card.id = "bb-link-preview";
      card.className = "link-preview";
      card.setAttribute("role", "tooltip");
      card.appendChild(element("p", "link-preview-title", note.title));
      if (note.type) card.appendChild(element("p", "link-preview-type", note.type.replace(/-/g, " ")));
      if (note.summary) card.appendChild(element("p", "link-preview-summary", note.summary));
      document.body.appendChild(card);
      var box = link.getBoundingClientRect();
      var left = Math.max(8, Math.min(box.left + window.scrollX, window.scrollX + document.documentElement.clientWidth - card.offsetWidth - 8));
      card.style.left = left + "px";
      card.style.top = (box.bottom + window.scrollY + 6) + "px";
      link.setAttribute("aria-describedby", card.id);
    }).catch(function () { /* no index: no preview, the link still works */ });
  }

  function hide(forget) {
    window.clearTimeout(timer);
    if (card && card.parentNode) card.parentNode.removeChild(card);
    card = null;
    var links = document.querySelectorAll('a[aria-describedby="bb-link-preview"]');
    for (var i = 0; i < links.length; i++) links[i].removeAttribute("aria-describedby");
    if (forget) current = null;
  }

  function start(link, delay) {
    var slug = slugOf(link);
    if (!slug || link === current) return;
    hide(true);
    current = link;
    timer = window.setTimeout(function () { show(link, slug); }, delay);
  }

  document.addEventListener("mouseover", function (event) {
    var link = event.target.closest ? event.target.closest("a") : null;
    if (link) start(link, HOVER_DELAY);
  });
  document.addEventListener("mouseout", function (event) {
    var link = event.target.closest ? event.target.closest("a") : null;
    if (link && link === current && !link.contains(event.relatedTarget)) hide(true);
  });
  document.addEventListener("focusin", function (event) {
    var link = event.target.closest ? event.target.closest("a") : null;
    if (link) start(link, 0);
  });
  document.addEventListener("focusout", function (event) {
    if (event.target === current) hide(true);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && card) hide(false);
  });
})();
