// backbrain learning features, only while `backbrain serve` runs (the static site never loads this
// file): on the roadmap page progress over time as an SVG chart and a progress menu on each topic; on
// every note page a progress and phase form; on a playbook page its logged runs; and the Review page.
// Every element is built with DOM calls and textContent, so note text can never become markup (a card's
// answer is HTML sanitized by the server with nh3, as the site's pages are); every write is a
// same-origin POST with the server's CSRF token.
(function () {
  "use strict";
  if (!document.querySelector('meta[name="backbrain-live"]') || !window.fetch) return;
  var root = document.documentElement.getAttribute("data-root") || "/";
  var SVG = "http://www.w3.org/2000/svg";
  var STATUSES = ["not-started", "in-progress", "completed"];
  var PHASES = ["study", "build", "audit"];
  var RATINGS = [[1, "Again"], [2, "Hard"], [3, "Good"], [4, "Easy"]];

  function svg(tag, attrs) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    return node;
  }

  var api = window.backbrainLive, el = api.el, getJSON = api.getJSON;  // live.js, loaded before this file

  function post(url, body) {  // learn.js shows a refusal as one line: the message, then its next step
    return api.post(url, body).catch(function (err) {
      throw new Error(err.message + (err.hint ? " " + err.hint : ""));
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

  // -- review page ------------------------------------------------------------------------------
  // Space shows the answer; on the answer side Space rates Good, as in Anki. Focus stays on the card
  // itself (never on a rating button), so a second Space can never press "Again".
  function reviewPage(section) {
    section.textContent = "";
    var info = el("p", { class: "learn-note", role: "status", "aria-live": "polite" });
    var card = el("article", { class: "learn-card", tabindex: "-1", hidden: "", "aria-live": "polite" });
    var where = el("p", { class: "learn-where" });
    var prompt = el("p", { class: "learn-prompt" });
    var reveal = el("button", { type: "button", class: "learn-button" }, "Show answer (Space)");
    var answer = el("div", { class: "learn-answer", hidden: "", tabindex: "-1" });
    var ratings = el("div", { class: "learn-ratings", hidden: "", role: "group", "aria-label": "Rate your answer" });
    var holds = el("div", { class: "learn-holds" });
    var queue = [], current = null, busy = false, position = 0, total = 0;
    RATINGS.forEach(function (r) {
      var b = el("button", { type: "button", class: "learn-button", "data-rating": String(r[0]) });
      b.addEventListener("click", function () { rate(r[0]); });
      ratings.appendChild(b);
    });
    [["bury", "Bury until tomorrow (-)"], ["suspend", "Suspend (@)"]].forEach(function (h) {
      var b = el("button", { type: "button", class: "learn-button learn-hold", "data-action": h[0] }, h[1]);
      b.addEventListener("click", function () { holdCard(h[0]); });
      holds.appendChild(b);
    });
    [where, prompt, reveal, answer, ratings, holds].forEach(function (n) { card.appendChild(n); });
    [info, card].forEach(function (n) { section.appendChild(n); });

    function show() {
      current = queue.shift() || null;
      if (!current) { card.hidden = true; info.textContent += " Session done: nothing else is due."; return; }
      position += 1;
      card.hidden = false; answer.hidden = true; ratings.hidden = true; reveal.hidden = false;
      where.textContent = position + "/" + total + " · " + (current.new ? "new" : "due") + " · from ";
      var link = el("a", { href: root + current.url, class: "learn-note-link" }, current.title);
      where.appendChild(link);
      prompt.textContent = current.prompt;
      answer.innerHTML = current.answer_html || "<p>(no answer text)</p>";  // sanitized by the server (nh3)
      Array.prototype.forEach.call(ratings.children, function (b) {
        var r = Number(b.getAttribute("data-rating"));
        b.textContent = r + " " + RATINGS[r - 1][1] + " · " + current.intervals[String(r)];
        b.setAttribute("aria-label", RATINGS[r - 1][1] + ", next review in " + current.intervals[String(r)]);
      });
      card.focus();
    }
    function doReveal() {
      if (!current || !ratings.hidden) return;
      answer.hidden = false; ratings.hidden = false; reveal.hidden = true;
      answer.focus();  // not a button: Space now means Good, and nothing presses Again by accident
    }
    function rate(value) {
      if (!current || busy || ratings.hidden) return;
      busy = true;
      post("/_learn/review", { card: current.card, rating: value }).then(function (r) {
        info.textContent = r.rating + ": next review " + new Date(r.due).toLocaleString() + ".";
        if (value === 1) { queue.push(current); total += 1; }  // a lapse comes back in this session
        show();
      }).catch(function (e) { info.textContent = e.message; }).then(function () { busy = false; });
    }
    function holdCard(action) {
      if (!current || busy) return;
      busy = true;
      post("/_learn/review/hold", { card: current.card, action: action }).then(function () {
        info.textContent = (action === "bury" ? "Buried until tomorrow: " : "Suspended: ") + current.prompt.split("\n")[0];
        show();
      }).catch(function (e) { info.textContent = e.message; }).then(function () { busy = false; });
    }
    reveal.addEventListener("click", doReveal);
    document.addEventListener("keydown", function (event) {
      if (!current || event.altKey || event.ctrlKey || event.metaKey) return;
      var target = event.target && event.target.tagName;
      if (target === "INPUT" || target === "SELECT" || target === "TEXTAREA") return;
      if (event.key === " " || event.key === "Enter") {
        if (target === "A") return;  // Enter on the note link follows it
        event.preventDefault();
        if (ratings.hidden) doReveal(); else rate(3);
      } else if ("1234".indexOf(event.key) >= 0 && event.key.length === 1) {
        event.preventDefault(); rate(Number(event.key));
      } else if (event.key === "-") { event.preventDefault(); holdCard("bury"); }
      else if (event.key === "@") { event.preventDefault(); holdCard("suspend"); }
    });
    getJSON("/_learn/review/due?limit=100").then(function (data) {
      queue = data.due; total = queue.length;
      info.textContent = total ? total + " cards due." : "Nothing is due. Come back later.";
      if (total) show();
    }).catch(function (e) { info.textContent = e.message; });
  }

  // -- progress on a note page ----------------------------------------------------------------------
  function noteForm(form) {
    var note = form.getAttribute("data-note");
    var status = el("span", { class: "learn-note", role: "status", "aria-live": "polite" });
    function menu(label, values, value, none) {
      var select = el("select", { class: "learn-select", "aria-label": label });
      if (none) select.appendChild(el("option", { value: "" }, "no phase"));
      values.forEach(function (v) {
        var option = el("option", { value: v }, v.replace("-", " "));
        if (v === value) option.selected = true;
        select.appendChild(option);
      });
      return select;
    }
    var progress = menu("Progress", STATUSES, form.getAttribute("data-progress"), false);
    var phase = menu("Phase", PHASES, form.getAttribute("data-phase"), true);
    function save() {
      progress.disabled = phase.disabled = true;
      post("/_learn/progress", { note: note, status: progress.value, phase: phase.value || null }).then(function (r) {
        status.textContent = "Saved: " + r.progress.replace("-", " ") + (r.phase ? ", " + r.phase : "") + ".";
        var badge = document.querySelector(".note-header .badge-progress");
        if (badge) { badge.textContent = r.progress.replace("-", " "); badge.setAttribute("data-value", r.progress); }
      }).catch(function (e) {
        status.textContent = e.message;
        progress.value = form.getAttribute("data-progress");
        phase.value = form.getAttribute("data-phase") || "";
      }).then(function () { progress.disabled = phase.disabled = false; });
    }
    progress.addEventListener("change", save);
    phase.addEventListener("change", save);
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    [el("span", { class: "learn-label" }, "My progress:"), progress, phase, status].forEach(function (n) { form.appendChild(n); });
    form.hidden = false;
  }

  // -- a playbook's runs ------------------------------------------------------------------------------
  function playbookRuns(section) {
    var id = section.getAttribute("data-playbook");
    getJSON("/_learn/playbook/runs?playbook=" + encodeURIComponent(id)).then(function (data) {
      var empty = section.querySelector(".empty");
      if (!data.runs.length) { if (empty) empty.textContent = "No runs yet: backbrain playbook run " + id; return; }
      if (empty) empty.remove();
      var table = el("table", { class: "runs-table" });
      var head = el("tr");
      ["Started", "Status", "Done", "Skipped", "Over the timebox", "Time"].forEach(function (h) { head.appendChild(el("th", { scope: "col" }, h)); });
      table.appendChild(el("thead")).appendChild(head);
      var body = table.appendChild(el("tbody"));
      data.runs.forEach(function (run) {
        var row = el("tr", { "data-run": run.run });
        var secs = run.elapsed_s === null ? null : Math.round(run.elapsed_s);
        [new Date(run.started).toLocaleString(), run.status, run.done + "/" + run.steps, String(run.skipped),
         String(run.overruns), secs === null ? "-" : Math.floor(secs / 60) + ":" + String(secs % 60).padStart(2, "0")]
          .forEach(function (v) { row.appendChild(el("td", {}, v)); });
        body.appendChild(row);
      });
      var wrap = el("div", { class: "table-wrap" });
      wrap.appendChild(table);
      section.appendChild(wrap);
    }).catch(function (e) { section.appendChild(el("p", { class: "learn-note" }, e.message)); });
  }

  var panel = document.getElementById("bb-learn");
  if (panel) {
    getJSON("/_learn/progress").then(function (data) {
      var status = el("p", { class: "learn-note", role: "status", "aria-live": "polite" });
      panel.appendChild(progressSection(data));
      panel.appendChild(status);
      var link = el("p", { class: "learn-note" });
      link.appendChild(el("a", { href: root + "review/", class: "learn-button" }, "Review due cards →"));
      panel.appendChild(link);
      topicMenus(data, status);
      panel.hidden = false;
    }).catch(function () { /* a server without the learning routes: the page stays as built */ });
  }
  var review = document.getElementById("bb-review");
  if (review) reviewPage(review);
  var form = document.getElementById("bb-note-learn");
  if (form) noteForm(form);
  var runs = document.getElementById("bb-runs");
  if (runs) playbookRuns(runs);
})();
