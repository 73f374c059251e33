/* The one client of serve's JSON API, shared by learn.js and labs.js (only pages rendered under
 * `backbrain serve` load any of them; the static site has no API).
 *
 * el() builds elements with setAttribute and textContent, so note text never becomes markup.
 * post() is same-origin only and carries the server's CSRF token (fetched once from /_csrf); a
 * refused request rejects with the server's message as the error's message and its next step as
 * `hint`, for the caller to show.
 */
(function () {
  "use strict";
  var token = null;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) node.textContent = text;
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
        if (!r.ok) {
          var err = new Error(data.error || "HTTP " + r.status);
          err.hint = data.hint || "";
          throw err;
        }
        return data;
      });
    });
  }

  window.backbrainLive = { el: el, getJSON: getJSON, post: post };
})();
