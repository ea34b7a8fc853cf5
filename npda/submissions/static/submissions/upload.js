// Upload with a progress bar: the file is sent with XMLHttpRequest (upload progress), and the
// server streams one JSON line per processing step, ending with the outcome.
(function () {
  const form = document.getElementById("upload-form");
  if (!form) return;
  const input = document.getElementById("id_csv_file");
  const zone = document.getElementById("drop-zone");
  const bar = document.getElementById("progress");
  const text = document.getElementById("progress-text");
  const area = document.getElementById("progress-area");
  const result = document.getElementById("result");
  const button = document.getElementById("upload-button");
  const STAGES = { checking: "Checking the file", rows: "Reading rows", comparing: "Comparing with your data", saving: "Saving children and visits" };

  // Which template the chosen audit year needs, with its download link.
  const hints = JSON.parse(document.getElementById("template-hints").textContent);
  const period = document.getElementById("id_audit_period");
  const hint = document.getElementById("template-hint");
  function showTemplate() {
    const chosen = hints[period.value];
    hint.textContent = "";
    if (!chosen) return;
    hint.append(chosen.text + " ");
    const link = document.createElement("a");
    link.href = chosen.url;
    link.textContent = "Download the blank template";
    link.setAttribute("download", "");
    hint.append(link);
  }
  period.addEventListener("change", showTemplate);
  showTemplate();

  function showName() {
    document.getElementById("file-name").textContent = input.files.length ? input.files[0].name : "";
  }
  input.addEventListener("change", showName);
  ["dragenter", "dragover"].forEach((e) => zone.addEventListener(e, (ev) => { ev.preventDefault(); zone.classList.add("over"); }));
  ["dragleave", "drop"].forEach((e) => zone.addEventListener(e, (ev) => { ev.preventDefault(); zone.classList.remove("over"); }));
  zone.addEventListener("drop", (ev) => { input.files = ev.dataTransfer.files; showName(); });

  function show(stage, done, total) {
    if (total) { bar.max = total; bar.value = done; } else { bar.removeAttribute("value"); }
    text.textContent = (STAGES[stage] || stage) + (total ? ": " + done.toLocaleString() + " of " + total.toLocaleString() : "…");
  }

  function finish(event) {
    button.disabled = false;
    if (event.outcome === "accepted") {
      result.className = "notice ok";
      result.textContent = event.message;
      window.location.assign(event.url);
    } else {
      area.hidden = true;
      result.className = "notice error";
      result.textContent = "The file was not accepted. " + event.message;
    }
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (!input.files.length) return;
    const xhr = new XMLHttpRequest();
    let seen = 0;
    xhr.open("POST", form.action || window.location.href);
    xhr.setRequestHeader("Accept", "application/x-ndjson");
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) { bar.max = e.total; bar.value = e.loaded; text.textContent = "Uploading: " + Math.round(100 * e.loaded / e.total) + "%"; } };
    function consume() {
      const lines = xhr.responseText.slice(seen).split("\n");
      const complete = lines.slice(0, -1);
      seen += complete.reduce((n, line) => n + line.length + 1, 0);
      complete.filter(Boolean).forEach((line) => {
        const event = JSON.parse(line);
        if (event.stage === "done") finish(event); else show(event.stage, event.done, event.total);
      });
    }
    xhr.onprogress = consume;
    xhr.onload = function () {
      consume();
      if (xhr.status >= 400) { finish({ outcome: "rejected", message: "Something went wrong (" + xhr.status + "). Your previous data is unchanged." }); }
    };
    xhr.onerror = () => finish({ outcome: "rejected", message: "We could not finish processing your file. Your previous data is unchanged. Please try again." });
    area.hidden = false; result.textContent = ""; result.className = ""; button.disabled = true;
    show("uploading", 0, 0);
    xhr.send(new FormData(form));
  });
})();
