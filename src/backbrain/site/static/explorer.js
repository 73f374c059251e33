// The folder explorer (folders page): a folder named in the URL's #fragment opens with its parents,
// and Expand all / Collapse all. The tree itself is <details>/<summary>: it works, keyboard included,
// without this script.
(function () {
  "use strict";
  function openTarget() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var node = id ? document.getElementById(id) : null;
    for (var el = node; el; el = el.parentElement) {
      if (el.tagName === "DETAILS") el.open = true;
    }
    if (node && node.tagName === "DETAILS") {
      var summary = node.querySelector("summary");
      if (summary) summary.focus();
    }
  }
  function setup() {
    var tools = document.querySelector(".explorer-tools");
    if (tools) {
      tools.hidden = false;
      tools.addEventListener("click", function (event) {
        var action = event.target && event.target.getAttribute("data-explorer");
        if (!action) return;
        var all = document.querySelectorAll(".explorer details.folder");
        for (var i = 0; i < all.length; i++) all[i].open = action === "open";
      });
    }
    openTarget();
    window.addEventListener("hashchange", openTarget);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
