// The record forms: the error summary takes the focus (the GOV.UK pattern), and a question that
// applies only with another's answer is hidden while it does not apply. Without this script
// every question shows, each with its "Only if ..." hint; the server refuses what does not apply.
(function () {
  const summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
    // A link of the summary takes the focus to its field, not only the view.
    summary.addEventListener("click", (event) => {
      const link = event.target.closest("a[href^='#']");
      const field = link && document.getElementById(link.getAttribute("href").slice(1));
      if (!field) return;
      event.preventDefault();
      field.closest(".field").scrollIntoView();
      field.focus();
    });
  }
  const form = document.querySelector("form.record-form");
  if (!form) return;
  const dependents = [...form.querySelectorAll("[data-parent]")];
  function applies(input) {
    const parent = form.elements[input.dataset.parent];
    const answer = parent ? parent.value.trim() : "";
    if (input.dataset.answers === "*") return answer !== "";
    return input.dataset.answers.split(",").includes(answer);
  }
  function update() {
    for (const input of dependents) {
      const shown = applies(input) || input.value.trim() !== "" || input.getAttribute("aria-invalid") === "true";
      document.getElementById(input.id + "-field").hidden = !shown;
    }
  }
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
})();
