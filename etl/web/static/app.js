// The page's few behaviours: drag-and-drop and picked-file uploads with a progress bar,
// following a check or an import until it ends, and the export form's query box.
"use strict";

const csrf = document.querySelector('meta[name="csrf-token"]').content;

function setupUpload() {
  const form = document.getElementById("upload-form");
  if (!form) return;
  const input = document.getElementById("file-input");
  const error = document.getElementById("upload-error");
  const progress = document.getElementById("upload-progress");
  const bar = document.getElementById("upload-progress-bar");
  const text = document.getElementById("upload-progress-text");
  const maxBytes = Number(form.dataset.maxBytes);

  function fail(message) {
    progress.hidden = true;
    error.textContent = message;
    error.hidden = false;
  }

  function send(file) {
    error.hidden = true;
    if (file.size > maxBytes) {
      fail(`“${file.name}” is larger than ${Math.round(maxBytes / 1048576)} MB, the most this page accepts. ` +
           "Split it into smaller files, or ask whoever started the page to raise the limit.");
      return;
    }
    const data = new FormData();
    data.append("file", file, file.name);
    const request = new XMLHttpRequest();
    request.open("POST", form.getAttribute("action"));
    request.setRequestHeader("X-CSRF-Token", csrf);
    request.setRequestHeader("Accept", "application/json");
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) {
        bar.value = Math.round((100 * event.loaded) / event.total);
        text.textContent = `Uploading “${file.name}”… ${bar.value}%`;
      }
    });
    request.addEventListener("load", () => {
      let answer = {};
      try { answer = JSON.parse(request.responseText); } catch (ignored) { answer = {}; }
      if (request.status === 200 && answer.location) {
        text.textContent = "Uploaded. Checking the file…";
        window.location.assign(answer.location);
      } else {
        fail(answer.error || request.responseText || `The upload failed (${request.status}).`);
      }
    });
    request.addEventListener("error", () => fail("The upload was interrupted. Is etl serve still running?"));
    progress.hidden = false;
    text.textContent = `Uploading “${file.name}”…`;
    bar.value = 0;
    request.send(data);
  }

  input.addEventListener("change", () => { if (input.files.length) send(input.files[0]); });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (input.files.length) send(input.files[0]);
  });
  for (const name of ["dragenter", "dragover"]) {
    form.addEventListener(name, (event) => { event.preventDefault(); form.classList.add("dragging"); });
  }
  for (const name of ["dragleave", "drop"]) {
    form.addEventListener(name, (event) => { event.preventDefault(); form.classList.remove("dragging"); });
  }
  form.addEventListener("drop", (event) => {
    const files = event.dataTransfer.files;
    if (files.length > 1) fail("Drop one file at a time.");
    else if (files.length === 1) send(files[0]);
  });
}

function followJob() {
  const card = document.getElementById("job");
  if (!card) return;
  const text = document.getElementById("job-text");
  async function poll() {
    try {
      const response = await fetch(card.dataset.statusUrl, { headers: { Accept: "application/json" } });
      const status = await response.json();
      if (status.state !== "running") {
        window.location.reload();
        return;
      }
      text.textContent = `${status.rows.toLocaleString()} rows read so far · ${Math.round(status.seconds)} s`;
    } catch (ignored) {
      text.textContent = "Waiting for the server…";
    }
    window.setTimeout(poll, 700);
  }
  window.setTimeout(poll, 300);
}

function setupExport() {
  const source = document.getElementById("export-source");
  const sql = document.getElementById("export-sql");
  if (!source || !sql) return;
  const show = () => { sql.hidden = source.value !== "(query)"; };
  source.addEventListener("change", show);
  show();
}

setupUpload();
followJob();
setupExport();
