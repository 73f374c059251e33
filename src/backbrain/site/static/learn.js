// backbrain learning panel on the roadmap page, only while `backbrain serve` runs (the static site
// never loads this file): progress over time as an SVG chart, a progress menu on each topic, and a
// review session. Every element is built with DOM calls and textContent, so note text can never
// become markup; every write is a same-origin POST with the server's CSRF token.
(function () {
  "use strict";
  var panel = document.getElementById("bb-learn");
  if (!panel || !document.querySelector('meta[name="backbrain-live"]') || !window.fetch) return;
  var SVG = "http://www.w3.org/2000/svg";
  var STATUSES = ["not-started", "in-progress", "completed"];
  var RATINGS = [[1, "Again"], [2, "Hard"], [3, "Good"], [4, "Easy"]];
  var token = null;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function svg(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    return node;
  }

  function getJSON(url) {
    return fetch(url, { cache: "no-store" }).then(function (r) {
      if (!r.ok) throw new Error(url + ": HTTP " + r.status);
      return r.json();
    });
  }

  function post(url, body) {
    var ready = token ? Promise.resolve(token) : getJSON("/_csrf").then(function (d) { token = d.token; return token; });
    return ready.then(function (t) {
      return fetch(url, { method: "POST", cache: "no-store", credentials: "same-origin",
        headers: { "content-type": "application/json", "x-csrf-token": t }, body: JSON.stringify(body) });
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) throw new Error((data.error || "HTTP " + r.status) + (data.hint ? " " + data.hint : ""));
        return data;
      });
    });
  }

  // -- progress over time -------------------------------------------------------------------------
  function chart(series) {
    var W = 640, H = 150, PAD = 28;
    var box = svg("svg", { viewBox: "0 0 " + W + " " + H, class: "learn-chart", role: "img" });
    var last = series[series.length - 1] || { completed: 0, in_progress: 0, total: 0, date: "" };
    var label = "Roadmap topics over time: " + last.completed + " of " + last.total + " completed, " +
      last.in_progress + " in progress on " + last.date + ".";
    box.setAttribute("aria-label", label);
    var title = svg("title", {}); title.textContent = label; box.appendChild(title);
    var times = series.map(function (p) { return Date.parse(p.date); });
    var t0 = times[0], t1 = times[times.length - 1], top = Math.max(1, last.total);
    function x(t) { return t1 > t0 ? PAD + (W - 2 * PAD) * (t - t0) / (t1 - t0) : W / 2; }
    function y(v) { return H - PAD - (H - 2 * PAD) * v / top; }
    box.appendChild(svg("line", { x1: PAD, y1: y(0), x2: W - PAD, y2: y(0), class: "axis" }));
    box.appendChild(svg("line", { x1: PAD, y1: y(top), x2: W - PAD, y2: y(top), class: "grid" }));
    [["started", function (p) { return p.completed + p.in_progress; }], ["completed", function (p) { return p.completed; }]]
      .forEach(function (line) {
        var points = series.map(function (p, i) { return x(times[i]) + "," + y(line[1](p)); }).join(" ");
        box.appendChild(svg("polyline", { points: points, class: "line-" + line[0], fill: "none" }));
        series.forEach(function (p, i) { box.appendChild(svg("circle", { cx: x(times[i]), cy: y(line[1](p)), r: 3, class: "dot-" + line[0] })); });
      });
    [[PAD, H - 8, series[0] ? series[0].date : "", "start"], [W - PAD, H - 8, last.date, "end"],
     [PAD - 4, y(top) + 4, String(top), "end"], [PAD - 4, y(0) + 4, "0", "end"]].forEach(function (t) {
      var text = svg("text", { x: t[0], y: t[1], "text-anchor": t[3] }); text.textContent = t[2]; box.appendChild(text);
    });
    return box;
  }

  function progressSection(data) {
    var section = el("div", { class: "learn-progress" });
    section.appendChild(el("h2", {}, "Progress over time"));
    section.appendChild(chart(data.series));
    var legend = el("p", { class: "learn-legend" });
    legend.appendChild(el("span", { class: "key-completed" }, "completed"));
    legend.appendChild(document.createTextNode(" · "));
    legend.appendChild(el("span", { class: "key-started" }, "started (in progress or completed)"));
    section.appendChild(legend);
    if (data.read_only) {
      section.appendChild(el("p", { class: "learn-note" },
        "This is the read-only starter: to mark progress, make your own copy with `backbrain init DIR --starter`."));
    }
    return section;
  }

  function topicMenus(data, status) {
    if (data.read_only) return;
    data.topics.forEach(function (topic) {
      var item = document.querySelector('li[data-url="' + CSS.escape(topic.url) + '"]');
      if (!item) return;
      var select = el("select", { class: "learn-select", "aria-label": "Progress of " + topic.title });
      STATUSES.forEach(function (s) {
        var option = el("option", { value: s }, s.replace("-", " "));
        if (s === topic.progress) option.selected = true;
        select.appendChild(option);
      });
      select.addEventListener("change", function () {
        select.disabled = true;
        post("/_learn/progress", { note: topic.id, status: select.value }).then(function (r) {
          status.textContent = topic.title + ": " + r.progress.replace("-", " ") + " (saved; the page refreshes).";
        }).catch(function (e) {
          status.textContent = e.message;
          select.value = topic.progress;
        }).then(function () { select.disabled = false; });
      });
      item.insertBefore(select, item.querySelector(".card-summary"));
    });
  }

  // -- review -------------------------------------------------------------------------------------
  function reviewSection() {
    var section = el("div", { class: "learn-review" });
    section.appendChild(el("h2", {}, "Review"));
    var start = el("button", { type: "button", class: "learn-button" }, "Review due cards");
    var info = el("p", { class: "learn-note", role: "status", "aria-live": "polite" });
    var card = el("div", { class: "learn-card", hidden: "" });
    var prompt = el("p", { class: "learn-prompt" });
    var reveal = el("button", { type: "button", class: "learn-button" }, "Show answer (space)");
    var answer = el("pre", { class: "learn-answer", hidden: "" });
    var ratings = el("div", { class: "learn-ratings", hidden: "" });
    var queue = [], current = null, busy = false;
    RATINGS.forEach(function (r) {
      var b = el("button", { type: "button", class: "learn-button", "data-rating": String(r[0]) }, r[0] + " " + r[1]);
      b.addEventListener("click", function () { rate(r[0]); });
      ratings.appendChild(b);
    });
    [prompt, reveal, answer, ratings].forEach(function (n) { card.appendChild(n); });
    [start, info, card].forEach(function (n) { section.appendChild(n); });

    function show() {
      current = queue.shift() || null;
      if (!current) { card.hidden = true; start.hidden = false; info.textContent += " Session done."; return; }
      card.hidden = false; answer.hidden = true; ratings.hidden = true; reveal.hidden = false;
      prompt.textContent = current.prompt + (current.new ? "  (new)" : "");
      answer.textContent = current.answer || "(no answer text)";
      reveal.focus();
    }
    function doReveal() {
      if (!current) return;
      answer.hidden = false; ratings.hidden = false; reveal.hidden = true;
      ratings.querySelector("button").focus();
    }
    function rate(value) {
      if (!current || busy || ratings.hidden) return;
      busy = true;
      post("/_learn/review", { card: current.card, rating: value }).then(function (r) {
        info.textContent = r.rating + ": next review " + new Date(r.due).toLocaleString() + ".";
        show();
      }).catch(function (e) { info.textContent = e.message; }).then(function () { busy = false; });
    }
    reveal.addEventListener("click", doReveal);
    start.addEventListener("click", function () {
      getJSON("/_learn/review/due?limit=20").then(function (data) {
        queue = data.due;
        info.textContent = queue.length ? queue.length + " cards due." : "Nothing is due.";
        if (queue.length) { start.hidden = true; show(); }
      }).catch(function (e) { info.textContent = e.message; });
    });
    document.addEventListener("keydown", function (event) {
      if (!current || event.altKey || event.ctrlKey || event.metaKey) return;
      var target = event.target && event.target.tagName;
      if (target === "INPUT" || target === "SELECT" || target === "TEXTAREA") return;
      if (event.key === " " && !reveal.hidden) { event.preventDefault(); doReveal(); }
      else if ("1234".indexOf(event.key) >= 0 && event.key.length === 1) { event.preventDefault(); rate(Number(event.key)); }
    });
    return section;
  }

  getJSON("/_learn/progress").then(function (data) {
    var status = el("p", { class: "learn-note", role: "status", "aria-live": "polite" });
    panel.appendChild(progressSection(data));
    panel.appendChild(status);
    panel.appendChild(reviewSection());
    topicMenus(data, status);
    panel.hidden = false;
  }).catch(function () { /* a server without the learning routes: the page stays as built */ });
})();
