// The whole knowledge graph on a canvas (vendored force-graph), coloured by type; click opens a note.
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
    fetch(el.getAttribute("data-src")).then(function (r) { return r.json(); }).then(function (data) {
      var nodes = data.nodes.map(function (n, i) { return { id: i, slug: n[0], title: n[1], type: n[2] }; });
      var links = data.links.map(function (l) { return { source: l[0], target: l[1], kind: l[2] }; });
      var dark = document.documentElement.getAttribute("data-theme") === "dark";
      var large = nodes.length > 2000;
      var graph = window.ForceGraph()(el)
        .width(el.clientWidth).height(el.clientHeight)
        .graphData({ nodes: nodes, links: links })
        .nodeId("id")
        .nodeLabel(function (n) { return asText(n.title + " (" + data.types[n.type] + ")"); })
        .nodeColor(function (n) { return data.colours[n.type]; })
        .nodeRelSize(large ? 2 : 5)
        .linkColor(function () { return dark ? "rgba(200,210,220,0.25)" : "rgba(60,70,80,0.25)"; })
        .cooldownTicks(large ? 60 : 300)
        .onNodeClick(function (n) { window.location.href = root + "note/" + n.slug + "/"; });
      // Spread clusters out: stronger repulsion (bounded in range so 10,000 nodes stay cheap) and longer
      // links than force-graph's defaults (-30, 30), which pack a big vault into a small dense ball.
      graph.d3Force("charge").strength(large ? -40 : -120).distanceMax(large ? 600 : 900);
      graph.d3Force("link").distance(large ? 30 : 55);
      var fitted = false;
      graph.onEngineStop(function () {
        if (!fitted) { fitted = true; graph.zoomToFit(400, 30); }  // once: do not fight the user's zoom
      });
      if (!large) {
        graph.nodeCanvasObjectMode(function () { return "after"; }).nodeCanvasObject(function (n, ctx, scale) {
          if (scale < 1.4) return;
          ctx.font = 11 / scale + "px sans-serif";
          ctx.fillStyle = dark ? "#e6edf3" : "#1b1f24";
          ctx.fillText(n.title, n.x + 6, n.y + 3);
        });
      }
      el.setAttribute("data-nodes", String(nodes.length));
      window.addEventListener("resize", function () { graph.width(el.clientWidth).height(el.clientHeight); });
    }).catch(function (err) {
      el.textContent = "The graph could not be loaded: " + err.message;
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
