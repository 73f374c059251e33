/* Live labs under `backbrain serve`: a form for the lab's parameters on its note page.
 *
 * The form is built from GET /_labs/NAME (the same parameter list `backbrain lab list` shows),
 * runs the lab with POST /_labs/NAME/run (same-origin, CSRF token from /_csrf), polls
 * /_labs/status for progress, and redraws the page's table and plot in place. The server validates
 * exactly as the CLI does; its message and hint are shown as they are. Static sites have no
 * /_labs/ routes and never load this script. The requests go through live.js, loaded before it.
 */
(function () {
  "use strict";
  var box = document.querySelector(".lab-live[data-lab]");
  if (!box) return;
  var name = box.getAttribute("data-lab");
  var section = box.closest("section.lab");
  var polling = null;

  var api = window.backbrainLive, el = api.el, getJSON = api.getJSON, post = api.post;  // live.js

  function build(info) {
    var form = el("form", { class: "lab-form", "aria-label": "Run the " + name + " lab with other parameters" });
    form.appendChild(el("h3", {}, "Run it live"));
    var grid = el("div", { class: "lab-fields" });
    info.params.forEach(function (p) {
      var id = "lab-param-" + p.name;
      var field = el("div", { class: "lab-field" });
      field.appendChild(el("label", { for: id }, p.name));
      var range = p.minimum !== null || p.maximum !== null
        ? " (" + (p.minimum !== null ? p.minimum : "") + " to " + (p.maximum !== null ? p.maximum : "") + ")" : "";
      var input = el("input", { id: id, name: p.name, type: "text", value: p.default, "data-default": p.default,
        inputmode: p.type === "int" || p.type === "float" ? "decimal" : "text", "aria-describedby": id + "-help" });
      field.appendChild(input);
      field.appendChild(el("small", { id: id + "-help" }, p.help + range));
      grid.appendChild(field);
    });
    form.appendChild(grid);
    var seedField = el("div", { class: "lab-field" });
    seedField.appendChild(el("label", { for: "lab-seed" }, "seed"));
    seedField.appendChild(el("input", { id: "lab-seed", name: "seed", type: "text", value: "42", inputmode: "numeric" }));
    grid.appendChild(seedField);
    var actions = el("div", { class: "lab-actions" });
    var run = el("button", { type: "submit", class: "lab-run" }, "Run");
    var cancel = el("button", { type: "button", class: "lab-cancel", hidden: "" }, "Cancel");
    var reset = el("button", { type: "reset", class: "lab-reset" }, "Defaults");
    var bar = el("progress", { max: "1", value: "0", hidden: "", "aria-label": "Lab progress" });
    actions.appendChild(run);
    actions.appendChild(cancel);
    actions.appendChild(reset);
    actions.appendChild(bar);
    form.appendChild(actions);
    var status = el("p", { class: "lab-status", role: "status", "aria-live": "polite" });
    form.appendChild(status);
    box.appendChild(form);
    box.hidden = false;

    function busy(on) {
      run.disabled = on;
      cancel.hidden = !on;
      bar.hidden = !on;
      if (on) {
        bar.value = 0;
        polling = setInterval(function () {
          getJSON("/_labs/status").then(function (s) { if (s.running === name) bar.value = s.progress; }).catch(function () {});
        }, 250);
      } else if (polling) {
        clearInterval(polling);
        polling = null;
      }
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var params = {};
      info.params.forEach(function (p) { params[p.name] = form.elements[p.name].value.trim(); });
      var seedText = form.elements.seed.value.trim();
      var seed = /^\d+$/.test(seedText) ? parseInt(seedText, 10) : null;
      if (seed === null) {
        status.textContent = "seed must be a whole number.";
        status.setAttribute("data-state", "error");
        return;
      }
      status.textContent = "Running " + name + "…";
      status.setAttribute("data-state", "running");
      busy(true);
      post("/_labs/" + encodeURIComponent(name) + "/run", { params: params, seed: seed }).then(function (data) {
        redraw(data);
        status.textContent = "Done in " + data.seconds + " s (seed " + data.result.seed + "). The table and plot show this run; reload the page for the saved one.";
        status.setAttribute("data-state", "done");
      }).catch(function (err) {
        status.textContent = err.message + (err.hint ? "\n" + err.hint : "");
        status.setAttribute("data-state", "error");
      }).then(function () { busy(false); });
    });

    cancel.addEventListener("click", function () {
      post("/_labs/cancel", {}).catch(function (err) { status.textContent = err.message; });
    });
  }

  function redraw(data) {
    var table = section.querySelector("table.lab-table");
    if (table) {
      var head = el("tr");
      head.appendChild(el("th", { scope: "col" }, "Variant"));
      data.table.metrics.forEach(function (m) { head.appendChild(el("th", { scope: "col" }, m)); });
      var thead = table.querySelector("thead");
      thead.replaceChildren(head);
      var tbody = table.querySelector("tbody");
      tbody.replaceChildren();
      data.table.rows.forEach(function (row) {
        var tr = el("tr");
        tr.appendChild(el("th", { scope: "row" }, row[0]));
        row.slice(1).forEach(function (cell) { tr.appendChild(el("td", {}, cell)); });
        tbody.appendChild(tr);
      });
    }
    if (data.plot) {
      var img = section.querySelector("figure img");
      if (!img) {
        var figure = el("figure");
        img = el("img", { alt: "Plot of the " + name + " lab" });
        figure.appendChild(img);
        section.insertBefore(figure, section.querySelector(".table-wrap"));
      }
      img.src = data.plot;
      img.setAttribute("data-live", "1");
      var caption = section.querySelector("figure figcaption");
      if (caption) caption.textContent = "Live run (seed " + data.result.seed + "), not saved.";
    }
    var params = section.querySelector(".lab-params");
    if (params) {
      params.replaceChildren(document.createTextNode("Parameters: "));
      Object.keys(data.result.params).forEach(function (k) {
        var v = data.result.params[k];
        params.appendChild(el("code", {}, k + "=" + (Array.isArray(v) ? v.join(",") : v)));
        params.appendChild(document.createTextNode(" "));
      });
    }
  }

  getJSON("/_labs/" + encodeURIComponent(name)).then(build).catch(function () { /* not served live */ });
})();
