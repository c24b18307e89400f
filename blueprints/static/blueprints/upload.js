// Direct uploads to S3 with a progress bar per file.
//
// The page asks the API for an upload slot; small files go up as one presigned form POST, large
// ones in parts (presigned PUTs, a few at a time, each retried with back-off, resumable after a
// reload). Then the page says "complete" and polls until the server has checked the file.
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("bp-upload-config").textContent);
  const input = document.getElementById("bp-file-input");
  const list = document.getElementById("bp-uploads");
  const dropzone = document.querySelector(".bp-dropzone");
  const PARALLEL_PARTS = 4;
  const MAX_ATTEMPTS = 6;
  const POLL_MS = 1500;

  function fileUrl(id, suffix) {
    return config.fileUrl.replace(/0\/$/, id + "/") + (suffix || "");
  }

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : config.csrfToken;
  }

  async function api(method, url, body) {
    const response = await fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = response.status === 204 ? {} : await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error(data.message || response.statusText);
      error.status = response.status;
      error.data = data;
      throw error;
    }
    return data;
  }

  function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  function formatBytes(bytes) {
    const units = ["B", "KB", "MB", "GB", "TB"];
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    return (unit ? value.toFixed(1) : value) + " " + units[unit];
  }

  // One row per file: name, progress bar, status line and, at the end, the preview.
  function addRow(file) {
    const row = document.createElement("li");
    row.className = "bp-upload-row";
    row.dataset.testid = "upload";
    row.setAttribute("data-testid", "upload");
    const name = document.createElement("strong");
    name.textContent = file.name;
    const size = document.createElement("span");
    size.className = "bp-muted";
    size.textContent = " " + formatBytes(file.size);
    const bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("data-testid", "upload-progress");
    bar.setAttribute("aria-label", file.name);
    const percent = document.createElement("span");
    percent.className = "bp-percent";
    percent.textContent = "0%";
    const status = document.createElement("p");
    status.className = "bp-upload-status";
    status.setAttribute("data-testid", "upload-status");
    status.textContent = config.messages.queued;
    row.append(name, size, bar, percent, status);
    list.append(row);
    return {
      row: row,
      progress(loaded) {
        const value = file.size ? Math.min(100, Math.floor((loaded / file.size) * 100)) : 100;
        bar.value = value;
        percent.textContent = value + "%";
      },
      status(text, state) {
        status.textContent = text;
        if (state) row.dataset.state = state;
      },
      preview(src) {
        const image = document.createElement("img");
        image.src = src;
        image.alt = file.name;
        image.className = "bp-upload-preview";
        image.setAttribute("data-testid", "upload-preview");
        row.append(image);
      },
    };
  }

  // XMLHttpRequest rather than fetch: it reports upload progress.
  function send(method, url, body, onProgress) {
    return new Promise((resolve, reject) => {
      const request = new XMLHttpRequest();
      request.open(method, url);
      request.upload.onprogress = (event) => onProgress(event.loaded);
      request.onload = () => {
        if (request.status >= 200 && request.status < 300) resolve(request);
        else {
          const error = new Error(request.status + " " + request.responseText.slice(0, 300));
          error.status = request.status;
          reject(error);
        }
      };
      request.onerror = () => reject(Object.assign(new Error("network"), { status: 0 }));
      request.send(body);
    });
  }

  function retryable(error) {
    return error.status === 0 || error.status === 403 || error.status >= 500 || error.status === 408;
  }

  async function withRetries(ui, attempt) {
    for (let tries = 1; ; tries += 1) {
      try {
        return await attempt(tries);
      } catch (error) {
        if (tries >= MAX_ATTEMPTS || !retryable(error)) throw error;
        ui.status(config.messages.retrying, "retrying");
        await sleep(Math.min(30000, 500 * 2 ** tries));
      }
    }
  }

  async function uploadByPost(file, upload, ui) {
    await withRetries(ui, () => {
      const form = new FormData();
      Object.entries(upload.fields).forEach(([key, value]) => form.append(key, value));
      form.append("file", file);
      ui.status(config.messages.uploading, "uploading");
      return send("POST", upload.url, form, (loaded) => ui.progress(Math.min(loaded, file.size)));
    });
    ui.progress(file.size);
  }

  async function uploadByParts(file, fileId, upload, ui) {
    const done = new Map((upload.uploaded || []).map((part) => [part.number, part.size]));
    const inFlight = new Map();
    let urls = new Map(upload.parts.map((part) => [part.number, part]));
    const queue = upload.parts.map((part) => part.number).filter((number) => !done.has(number));
    const report = () => {
      let loaded = 0;
      done.forEach((size) => (loaded += size));
      inFlight.forEach((bytes) => (loaded += bytes));
      ui.progress(loaded);
    };
    report();

    async function freshUrls() {
      const status = await api("GET", fileUrl(fileId, "upload/"));
      urls = new Map(status.upload.parts.map((part) => [part.number, part]));
    }

    async function sendPart(number) {
      await withRetries(ui, async (tries) => {
        if (tries > 1 && !urls.has(number)) await freshUrls();
        if (tries > 2) await freshUrls(); // an expired signature answers 403
        const part = urls.get(number);
        const start = (number - 1) * upload.part_size;
        ui.status(config.messages.uploading, "uploading");
        inFlight.set(number, 0);
        try {
          await send("PUT", part.url, file.slice(start, start + part.size), (loaded) => {
            inFlight.set(number, loaded);
            report();
          });
        } finally {
          inFlight.delete(number);
        }
        done.set(number, part.size);
        report();
      });
    }

    async function worker() {
      while (queue.length) await sendPart(queue.shift());
    }
    await Promise.all(Array.from({ length: Math.min(PARALLEL_PARTS, queue.length) }, worker));
  }

  async function waitUntilChecked(fileId, ui) {
    for (;;) {
      const file = await api("GET", fileUrl(fileId));
      if (file.status === "ready") {
        ui.status(config.messages.ready, "ready");
        if (file.preview_url) ui.preview(file.preview_url);
        return;
      }
      if (file.status === "rejected") {
        ui.status(config.messages.rejected + ": " + file.rejection_reason, "rejected");
        return;
      }
      await sleep(POLL_MS);
    }
  }

  async function uploadOne(file) {
    const ui = addRow(file);
    try {
      const earlier = config.resumable.find((item) => item.name === file.name && item.size === file.size);
      let slot;
      if (earlier) {
        ui.status(config.messages.resumed, "uploading");
        slot = await api("GET", fileUrl(earlier.id, "upload/"));
        config.resumable = config.resumable.filter((item) => item !== earlier);
      } else {
        slot = await api("POST", config.startUrl, {
          name: file.name,
          size: file.size,
          content_type: file.type || "",
        });
      }
      const fileId = slot.file.id;
      if (slot.upload.method === "post") await uploadByPost(file, slot.upload, ui);
      else await uploadByParts(file, fileId, slot.upload, ui);
      ui.status(config.messages.checking, "checking");
      await withRetries(ui, () => api("POST", fileUrl(fileId, "complete/")));
      await waitUntilChecked(fileId, ui);
    } catch (error) {
      ui.status(config.messages.failed + ": " + error.message, "failed");
    }
  }

  function uploadAll(files) {
    Array.from(files).forEach((file) => uploadOne(file));
  }

  input.addEventListener("change", () => {
    uploadAll(input.files);
    input.value = "";
  });
  ["dragover", "dragenter"].forEach((name) =>
    dropzone.addEventListener(name, (event) => {
      event.preventDefault();
      dropzone.classList.add("bp-dragging");
    }),
  );
  ["dragleave", "drop"].forEach((name) =>
    dropzone.addEventListener(name, () => dropzone.classList.remove("bp-dragging")),
  );
  dropzone.addEventListener("drop", (event) => {
    event.preventDefault();
    uploadAll(event.dataTransfer.files);
  });
})();
