/* Pages whose state is their query string (the map explorer, the funnel plots, unit pages).
 *
 * Every change (a control of the form `#state-controls`, a click on a chart or map, a link
 * marked `data-state`) pushes a new query string and tells dcc.Location, which runs the page's
 * one Dash callback; the back button does the same through `popstate`. Without JavaScript the
 * form submits the same query string to the server.
 */
(function () {
  "use strict";

  function form() {
    return document.getElementById("state-controls");
  }

  function go(query) {
    if (query === window.location.search || (query === "?" && !window.location.search)) return;
    // A page whose Dash app waits for the first change (first_paint.js, ADR 0026) starts it.
    if (window.npdaFirstView) window.npdaFirstView.start();
    window.history.pushState({}, "", window.location.pathname + query);
    window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
    syncControls();
  }

  // The form's choices over the current query string, leaving out what is at its default.
  function formQuery(skip) {
    const current = new URLSearchParams(window.location.search);
    const params = new URLSearchParams(current);
    Array.prototype.forEach.call(form().elements, function (control) {
      if (!control.name || (control.type === "radio" && !control.checked)) return;
      if ((skip || []).indexOf(control.name) >= 0) return;
      if (control.value === "" || control.value === control.dataset.default) {
        params.delete(control.name);
      } else {
        params.set(control.name, control.value);
      }
    });
    // A control may start the view afresh, e.g. a new level shows the whole of England and
    // Wales again: it names the parameters it clears in data-resets.
    Array.prototype.forEach.call(form().querySelectorAll("[data-resets]"), function (control) {
      if (params.get(control.name) !== current.get(control.name)) {
        control.dataset.resets.split(" ").forEach(function (name) { params.delete(name); });
      }
    });
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
    f.addEventListener("change", function (event) {
      // A control marked data-navigate="/path/{value}/" opens another page (its value is in
      // the path, e.g. the measure of a funnel plot), keeping the rest of the query string.
      const to = event.target.dataset && event.target.dataset.navigate;
      if (to) {
        const path = to.replace("{value}", encodeURIComponent(event.target.value));
        const query = formQuery([event.target.name]);
        window.location.href = path + (query === "?" ? "" : query);
        return;
      }
      // A control marked data-reload changes what the server draws (e.g. a unit page's
      // release): the page loads afresh with the new query string.
      if (event.target.dataset && "reload" in event.target.dataset) {
        const query = formQuery();
        window.location.href = window.location.pathname + (query === "?" ? "" : query);
        return;
      }
      go(formQuery());
    });
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
    window.addEventListener("popstate", function () {
      if (window.npdaFirstView) window.npdaFirstView.start(); // its Location reads the address
      syncControls();
    });
  });
  window.npdaState = { go: go };
})();
