// The whole knowledge graph on a canvas (vendored force-graph), coloured by type; click opens a note.
// Controls: a checkbox per type (hide a kind of note), and a local graph: one note and everything
// within N links of it (?focus=slug&depth=N, so a note page can link to its own neighbourhood).
// Labels: the hovered note and its neighbours always; every note once zoomed in.
(function () {
  "use strict";
  // force-graph puts a label into its tooltip as HTML: a title is made text through textContent first.
  function asText(value) {
    var span = document.createElement("span");
    span.textContent = value;
    return span.innerHTML;
  }
  function start() {
    var el = document.getElementById("bb-graph");
    if (!el || typeof window.ForceGraph !== "function") return;
    var root = el.getAttribute("data-root") || "";
    var form = document.getElementById("bb-graph-controls");
    fetch(el.getAttribute("data-src")).then(function (r) { return r.json(); }).then(function (data) {
      var nodes = data.nodes.map(function (n, i) { return { id: i, slug: n[0], title: n[1], type: n[2] }; });
      var links = data.links.map(function (l) { return { source: l[0], target: l[1], kind: l[2] }; });
      var bySlug = {}, adjacent = nodes.map(function () { return []; });
      nodes.forEach(function (n) { bySlug[n.slug] = n; });
      data.links.forEach(function (l) { adjacent[l[0]].push(l[1]); adjacent[l[1]].push(l[0]); });
      var dark = document.documentElement.getAttribute("data-theme") === "dark";
      var large = nodes.length > 2000;
      var hiddenTypes = {}, local = null, hover = null, hoverSet = {};

      function within(start, depth) {  // breadth-first: every node at most `depth` links away
        var seen = {}, frontier = [start];
        seen[start] = true;
        for (var d = 0; d < depth && frontier.length; d++) {
          var next = [];
          frontier.forEach(function (i) {
            adjacent[i].forEach(function (j) { if (!seen[j]) { seen[j] = true; next.push(j); } });
          });
          frontier = next;
        }
        return seen;
      }
      function visible(n) { return !hiddenTypes[n.type] && (!local || local[n.id] === true); }
      function end(x) { return typeof x === "object" ? x : nodes[x]; }

      var graph = window.ForceGraph()(el)
        .width(el.clientWidth).height(el.clientHeight)
        .graphData({ nodes: nodes, links: links })
        .nodeId("id")
        .nodeLabel(function (n) { return asText(n.title + " (" + data.types[n.type] + ")"); })
        .nodeColor(function (n) { return data.colours[n.type]; })
        .nodeRelSize(large ? 2 : 5)
        .nodeVisibility(visible)
        .linkVisibility(function (l) { return visible(end(l.source)) && visible(end(l.target)); })
        .linkColor(function (l) {
          var lit = hover !== null && (end(l.source).id === hover || end(l.target).id === hover);
          if (lit) return dark ? "rgba(230,237,243,0.8)" : "rgba(27,31,36,0.7)";
          return dark ? "rgba(200,210,220,0.25)" : "rgba(60,70,80,0.25)";
        })
        .cooldownTicks(large ? 60 : 300)
        .onNodeHover(function (n) {
          hover = n ? n.id : null;
          hoverSet = {};
          if (n) { hoverSet[n.id] = true; adjacent[n.id].forEach(function (j) { hoverSet[j] = true; }); }
          el.setAttribute("data-hover", n ? n.title : "");
          el.style.cursor = n ? "pointer" : "";
        })
        .onNodeClick(function (n) { window.location.href = root + "note/" + n.slug + "/"; });
      // Spread clusters out: stronger repulsion (bounded in range so 10,000 nodes stay cheap) and longer
      // links than force-graph's defaults (-30, 30), which pack a big vault into a small dense ball.
      graph.d3Force("charge").strength(large ? -40 : -120).distanceMax(large ? 600 : 900);
      graph.d3Force("link").distance(large ? 30 : 55);
      graph.nodeCanvasObjectMode(function () { return "after"; }).nodeCanvasObject(function (n, ctx, scale) {
        var near = hover !== null && hoverSet[n.id];
        if (!near && scale < (large ? 4 : 1.4) && !(local && local[n.id] && countVisible() <= 60)) return;
        ctx.font = (near ? "600 " : "") + 11 / scale + "px sans-serif";
        ctx.fillStyle = dark ? "#e6edf3" : "#1b1f24";
        ctx.fillText(n.title, n.x + 6, n.y + 3);
      });
      var fitted = false;
      graph.onEngineStop(function () {
        if (!fitted) { fitted = true; graph.zoomToFit(400, 30, visible); }  // once: do not fight the user's zoom
      });
      var visibleCount = nodes.length;
      function countVisible() { return visibleCount; }
      function refresh(refit) {
        visibleCount = nodes.filter(visible).length;
        el.setAttribute("data-visible", String(visibleCount));
        graph.nodeVisibility(visible);  // re-applying the accessor makes force-graph redraw
        if (refit) {
          graph.zoomToFit(400, 60, visible);
          setTimeout(function () { if (graph.zoom() > 2.5) graph.zoom(2.5, 300); }, 450);  // a few notes: not giant
        }
      }

      if (form) {
        var params = new URLSearchParams(window.location.search);
        var focus = form.querySelector("#bb-graph-focus"), depth = form.querySelector("#bb-graph-depth");
        var list = form.querySelector("#bb-graph-notes");
        nodes.slice().sort(function (a, b) { return a.title.localeCompare(b.title); }).forEach(function (n) {
          var option = document.createElement("option");
          option.value = n.title;
          list.appendChild(option);
        });
        function applyLocal() {
          var wanted = focus.value.trim().toLowerCase();
          var hit = bySlug[wanted] || nodes.find(function (n) { return n.title.toLowerCase() === wanted; });
          local = hit ? within(hit.id, Number(depth.value)) : null;
          form.querySelector(".graph-local-status").textContent = hit
            ? Object.keys(local).length + " notes within " + depth.value + " link" + (depth.value === "1" ? "" : "s") + " of " + hit.title
            : (wanted ? "No note named " + focus.value : "");
          refresh(true);
        }
        if (params.get("focus")) {
          var start = bySlug[params.get("focus")];
          focus.value = start ? start.title : params.get("focus");
          if (params.get("depth")) depth.value = params.get("depth");
        }
        form.addEventListener("submit", function (event) { event.preventDefault(); applyLocal(); });
        focus.addEventListener("change", applyLocal);
        depth.addEventListener("change", applyLocal);
        form.querySelector(".graph-clear").addEventListener("click", function () { focus.value = ""; applyLocal(); });
        Array.prototype.forEach.call(document.querySelectorAll(".legend input[data-type]"), function (box) {
          box.addEventListener("change", function () {
            hiddenTypes[data.types.indexOf(box.getAttribute("data-type"))] = !box.checked;
            refresh(false);
          });
        });
        if (focus.value) applyLocal();
      }
      refresh(false);
      el.graph = graph;  // for the browser tests: screen coordinates of a node
      el.setAttribute("data-nodes", String(nodes.length));
      window.addEventListener("resize", function () { graph.width(el.clientWidth).height(el.clientHeight); });
    }).catch(function (err) {
      el.textContent = "The graph could not be loaded: " + err.message;
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
