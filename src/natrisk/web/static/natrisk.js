// Draws every Vega-Lite spec on the page (and again after an HTMX swap).
(function () {
  "use strict";
  // vega-embed's menu of actions opens from a <summary> holding only an icon: give it a name
  // (the page's own words, from <meta name="natrisk-chart-actions">)
  function name_actions(target) {
    var meta = document.querySelector('meta[name="natrisk-chart-actions"]');
    target.querySelectorAll("details > summary").forEach(function (summary) {
      if (!summary.getAttribute("aria-label")) {
        summary.setAttribute("aria-label", meta ? meta.content : "Chart actions");
      }
    });
  }
  // a point that opens a scenario (its datum has an href) is reachable with Tab and opens
  // with Enter or Space, named by its words (Vega's label, else the datum's aria text); the
  // SVG renderer keeps each item's element as item._svg
  function focusable_points(view) {
    var seen = 0;
    function walk(node) {
      if (!node) { return; }
      var datum = node.datum;
      var el = node._svg;
      if (el && datum && datum.href && node.mark && node.mark.marktype === "symbol") {
        // Vega's own role (graphics-symbol) and its name in words stay: only focus is added
        el.setAttribute("tabindex", "0");
        if (!el.getAttribute("aria-label")) {
          el.setAttribute("aria-label", datum.aria || datum.title || datum.href);
        }
        el.classList.add("chart-point");
        el.addEventListener("keydown", function (event) {
          if (event.key === "Enter" || event.key === " ") {
            event.preventDefault();
            window.location.assign(datum.href);
          }
        });
        seen += 1;
      }
      (node.items || []).forEach(walk);
    }
    walk(view.scenegraph().root);
    return seen;
  }
  function draw(root) {
    (root || document).querySelectorAll("script.vl-spec").forEach(function (script) {
      var target = document.getElementById(script.dataset.target);
      if (!target || typeof vegaEmbed === "undefined") { return; }
      var spec = JSON.parse(script.textContent);
      // SVG keeps every point in the page's accessibility tree; past a few hundred points
      // the canvas draws many times faster, and the heat map below lists every scenario
      var rows = (spec.datasets && spec.datasets.scenarios) ? spec.datasets.scenarios.length : 0;
      vegaEmbed(target, spec, {
        // expressions are interpreted from their syntax tree: compiling them would need
        // new Function, which the pages' Content-Security-Policy forbids (no 'unsafe-eval');
        // vega-embed bundles the interpreter (vega-interpreter) and uses it when ast is set
        ast: true,
        actions: { export: true, source: false, compiled: false, editor: false },
        loader: { target: "_self" },
        renderer: rows > 200 ? "canvas" : "svg",
        tooltip: { theme: "light" }
      }).then(function (result) {
        name_actions(target);
        target.dataset.points = String(focusable_points(result.view));
        target.dataset.ready = "true";
      })
        .catch(function (err) { target.textContent = "The diagram could not be drawn: " + err; });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (event) { draw(event.target); });
})();
