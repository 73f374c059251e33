// Runs before the page paints (a blocking file, not an inline script, so the CSP can forbid inline
// scripts): the remembered theme, else the system's preference.
(function () {
  var stored = null;
  try { stored = window.localStorage.getItem("backbrain-theme"); } catch (e) { stored = null; }
  var dark = stored ? stored === "dark"
    : !!(window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches);
  document.documentElement.setAttribute("data-theme", dark ? "dark" : "light");
})();
