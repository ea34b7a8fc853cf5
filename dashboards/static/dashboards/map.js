/* The map explorer in the browser.
 *
 * 1. Style functions for dash-leaflet's GeoJSON layers. They read the `hideout` the Dash
 *    callback sends (fills, radii and tooltips per area code, built by dashboards/map_figures.py),
 *    so a new measure, release or colouring restyles the shapes without resending geometry.
 * 2. The page's state lives in its query string. Every change (a control, a click on the map, a
 *    breadcrumb or table link) pushes a new query string and tells dcc.Location, which runs the
 *    one Dash callback; the back button does the same through `popstate`. Without JavaScript the
 *    controls form submits the same query string to the server.
 */
(function () {
  "use strict";

  function hideoutOf(context) {
    return (context && context.hideout) || {};
  }

  function go(query) {
    if (query === window.location.search || (query === "?" && !window.location.search)) return;
    window.history.pushState({}, "", window.location.pathname + query);
    window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
    syncControls();
  }

  function areaStyle(feature, context) {
    const h = hideoutOf(context);
    const code = feature.properties.code;
    const focused = h.focus === code;
    return {
      fillColor: (h.fill || {})[code] || "#f2f2f2",
      fillOpacity: 0.9,
      color: focused ? "#1d1d1b" : "#7a7a7a",
      weight: focused ? 3 : 0.6,
      className: "npda-area npda-area-" + code,
    };
  }

  function bindTip(layer, text) {
    if (text) layer.bindTooltip(text, { sticky: true, className: "npda-tip" });
  }

  function onEachArea(feature, layer, context) {
    const h = hideoutOf(context);
    const code = feature.properties.code;
    const none = "<strong>" + feature.properties.name + "</strong><br>No unit reports here";
    bindTip(layer, (h.tip || {})[code] || none);
    const drill = (h.drill || {})[code];
    if (drill) layer.on("click", function () { go(drill); });
  }

  function contextFilter(feature, context) {
    return (hideoutOf(context).show || []).indexOf(feature.properties.code) >= 0;
  }

  function contextStyle() {
    return {
      fillColor: "#e5e5e5", fillOpacity: 1, color: "#ffffff", weight: 0.8, className: "npda-context",
    };
  }

  function unitFilter(feature, context) {
    return feature.properties.code in (hideoutOf(context).fill || {});
  }

  function unitPoint(feature, latlng, context) {
    const h = hideoutOf(context);
    const code = feature.properties.code;
    const marker = L.circleMarker(latlng, {
      pane: "units", // created here, so not in the pane of the GeoJSON layer unless told
      radius: (h.radius || {})[code] || 4,
      fillColor: (h.fill || {})[code] || "#f2f2f2",
      fillOpacity: 0.95,
      color: "#1d1d1b",
      weight: 1,
      className: "npda-unit npda-unit-" + code,
    });
    bindTip(marker, (h.tip || {})[code]);
    return marker;
  }

  window.dashExtensions = Object.assign({}, window.dashExtensions, {
    npda: { areaStyle, onEachArea, contextFilter, contextStyle, unitFilter, unitPoint },
  });

  // The controls form ----------------------------------------------------------------------

  function form() {
    return document.getElementById("map-controls");
  }

  // The form's choices over the current query string, leaving out what is at its default.
  function formQuery() {
    const current = new URLSearchParams(window.location.search);
    const params = new URLSearchParams(current);
    Array.prototype.forEach.call(form().elements, function (control) {
      if (!control.name || (control.type === "radio" && !control.checked)) return;
      if (control.value === "" || control.value === control.dataset.default) {
        params.delete(control.name);
      } else {
        params.set(control.name, control.value);
      }
    });
    if (params.get("level") !== current.get("level")) {
      params.delete("area"); // a new level starts from the whole of England and Wales
      params.delete("sort");
    }
    const text = params.toString();
    return "?" + text;
  }

  function syncControls() {
    const f = form();
    if (!f) return;
    const params = new URLSearchParams(window.location.search);
    Array.prototype.forEach.call(f.elements, function (control) {
      if (!control.name || control.type === "submit") return;
      const wanted = params.get(control.name) || control.dataset.default || "";
      if (control.type === "radio") control.checked = control.value === wanted;
      else if (control.type === "hidden") control.value = params.get(control.name) || "";
      else if (Array.prototype.some.call(control.options || [], (o) => o.value === wanted)) {
        control.value = wanted;
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    const f = form();
    if (!f) return;
    f.addEventListener("change", function () { go(formQuery()); });
    f.addEventListener("submit", function (event) {
      event.preventDefault();
      go(formQuery());
    });
    // Links inside the app (breadcrumb, table) change the state without reloading the page.
    document.addEventListener("click", function (event) {
      const link = event.target.closest && event.target.closest("a[data-state]");
      if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
      event.preventDefault();
      go(link.getAttribute("href"));
    });
    window.addEventListener("popstate", syncControls);
  });
})();
