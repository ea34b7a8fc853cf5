/* Charts that paint with the page (docs/adr/0026).
 *
 * Loaded as a plain script right after the page's charts, with plotly before it, so it runs
 * while the page is parsed and every chart is drawn before the page's load event:
 *
 * 1. An embedded Dash app's first view is already in the page, as HTML and as Dash's layout
 *    (JSON in #_dash-first-layout, made by dashboards/templatetags/first_view.py). Each graph
 *    of that layout is drawn into its holder (`#<graph id> > .first-plot`).
 * 2. A figure of a Django page (an area's trend) is JSON in a script.page-figure whose
 *    data-for names its holder.
 * 3. Dash's scripts are loaded after the load event, and the app is started on the first
 *    change of the page's state (state.js calls `npdaFirstView.start()`): Dash then asks for
 *    its layout, and gets the one in the page, so it shows what is on the screen and its
 *    callbacks answer the change.
 */
(function () {
  "use strict";

  const CONFIG = { displaylogo: false, displayModeBar: false, responsive: true };

  function graphsOf(node, found) {
    if (Array.isArray(node)) {
      node.forEach(function (child) { graphsOf(child, found); });
    } else if (node && typeof node === "object" && node.props) {
      if (node.type === "Graph" && node.props.figure && node.props.figure.data) found.push(node.props);
      graphsOf(node.props.children, found);
    }
    return found;
  }

  function draw(holder, figure, config) {
    if (!holder || !window.Plotly || !figure || !figure.data || !figure.data.length) return;
    window.Plotly.newPlot(holder, figure.data, figure.layout || {}, Object.assign({}, config, CONFIG));
  }

  function paint() {
    const layout = document.getElementById("_dash-first-layout");
    if (layout) {
      graphsOf(JSON.parse(layout.textContent), []).forEach(function (props) {
        const graph = document.getElementById(props.id);
        draw(graph && graph.querySelector(".first-plot"), props.figure, props.config || {});
      });
    }
    document.querySelectorAll("script.page-figure").forEach(function (script) {
      draw(document.getElementById(script.dataset.for), JSON.parse(script.textContent), {});
    });
  }

  // Dash's own scripts wait in <template id="dash-scripts"> (they would cost the page's load
  // a second of script for nothing the first view needs): they are added after the load
  // event, in their order, or at once when the page's state changes before that.
  let scripts = null;

  function loadDash() {
    if (scripts) return scripts;
    const holder = document.getElementById("dash-scripts");
    scripts = new Promise(function (resolve) {
      if (!holder) { resolve(); return; }
      let last = null;
      Array.prototype.forEach.call(holder.content.childNodes, function (node) {
        if (node.nodeName !== "SCRIPT") return;
        const src = node.getAttribute("src");
        if (!src) { document.body.appendChild(document.importNode(node, true)); return; }
        const script = document.createElement("script");
        script.src = src;
        script.async = false; // run in document order, as the footer had them
        document.body.appendChild(script);
        last = script;
      });
      if (last) last.addEventListener("load", function () { resolve(); });
      else resolve();
    });
    return scripts;
  }

  let started = false;

  // While Dash starts it draws "Loading..." in place of the first view, then the app again:
  // a still copy of what is on the screen stays in view (hidden from assistive technology
  // and the keyboard) until Dash has drawn every graph of the layout, so nothing flashes.
  function holdStill(entry, graphIds) {
    if (!entry) return;
    const still = entry.cloneNode(true);
    still.removeAttribute("id");
    still.querySelectorAll("[id]").forEach(function (node) { node.removeAttribute("id"); });
    still.setAttribute("aria-hidden", "true");
    still.inert = true;
    still.className = "first-view-still";
    entry.parentNode.insertBefore(still, entry);
    entry.classList.add("first-view-starting");
    function drawn() {
      if (entry.querySelector("._dash-loading") || !entry.firstElementChild) return false;
      return graphIds.every(function (id) {
        const graph = document.getElementById(id);
        return graph && entry.contains(graph) && graph.querySelector(".main-svg");
      });
    }
    let observer = null;
    function show() {
      if (observer) observer.disconnect();
      if (still.parentNode) still.parentNode.removeChild(still);
      entry.classList.remove("first-view-starting");
    }
    observer = new MutationObserver(function () { if (drawn()) show(); });
    observer.observe(entry, { childList: true, subtree: true });
    setTimeout(show, 10000); // whatever happens, the app itself is shown
  }

  // Start the page's Dash app, answering its layout request from the page.
  function start() {
    const layout = document.getElementById("_dash-first-layout");
    if (started || !layout) return;
    started = true;
    const text = layout.textContent;
    const graphIds = graphsOf(JSON.parse(text), []).map(function (props) { return props.id; });
    holdStill(document.getElementById("react-entry-point"), graphIds);
    loadDash().then(function () {
      const fetchFromNetwork = window.fetch.bind(window);
      window.fetch = function (resource, options) {
        const url = typeof resource === "string" ? resource : resource && resource.url;
        if (url && /\/_dash-layout$/.test(url)) {
          return Promise.resolve(new Response(text, { headers: { "Content-Type": "application/json" } }));
        }
        return fetchFromNetwork(resource, options);
      };
      new window.DashRenderer();
    });
  }

  paint();
  window.addEventListener("load", function () {
    (window.requestIdleCallback || window.setTimeout)(loadDash);
  });
  window.npdaFirstView = { start: start };
})();
