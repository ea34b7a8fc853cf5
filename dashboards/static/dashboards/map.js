/* The map explorer's layers in the browser.
 *
 * 1. Style functions for dash-leaflet's GeoJSON layers. They read the `hideout` the Dash
 *    callback sends (fills, radii and tooltips per area code, built by dashboards/map_figures.py),
 *    so a new measure, release or colouring restyles the shapes without resending geometry.
 * 2. A click on an area drills down: it goes to the query string the hideout names for it
 *    (see state.js).
 */
(function () {
  "use strict";

  function hideoutOf(context) {
    return (context && context.hideout) || {};
  }

  function go(query) {
    window.npdaState.go(query);
  }

  function areaStyle(feature, context) {
    const h = hideoutOf(context);
    const code = feature.properties.code;
    const focused = h.focus === code;
    return {
      fillColor: (h.fill || {})[code] || "#f3f2f1",
      fillOpacity: 0.9,
      color: focused ? "#0b0c0c" : "#505a5f",
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
      fillColor: (h.fill || {})[code] || "#f3f2f1",
      fillOpacity: 0.95,
      color: "#0b0c0c",
      weight: 1,
      className: "npda-unit npda-unit-" + code,
    });
    bindTip(marker, (h.tip || {})[code]);
    return marker;
  }

  window.dashExtensions = Object.assign({}, window.dashExtensions, {
    npda: { areaStyle, onEachArea, contextFilter, contextStyle, unitFilter, unitPoint },
  });

})();
