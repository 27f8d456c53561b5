// The scans page follows the reading without a reload: it polls the progress JSON and redraws
// the counts, each upload's progress bar and the latest scans (every 2 s while anything waits,
// every 6 s otherwise).
(function () {
  "use strict";
  var holder = document.getElementById("scan-progress");
  if (!holder) { return; }
  var KEYS = ["pending", "processing", "read", "review", "adjudicated", "rejected"];
  var live = document.getElementById("scan-live");

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function setText(id, value) {
    var node = document.getElementById(id);
    if (node) { node.textContent = String(value); }
  }

  function upload(batch, labels) {
    var item = el("li", "upload" + (batch.finished ? " finished" : ""));
    item.appendChild(el("span", "upload-label", batch.label));
    var bar = el("progress");
    bar.max = batch.total;
    bar.value = batch.done;
    item.appendChild(bar);
    var figures = "đã đọc " + batch.done + "/" + batch.total;
    KEYS.forEach(function (key) {
      if (batch.counts[key]) { figures += " · " + labels[key].toLowerCase() + " " + batch.counts[key]; }
    });
    item.appendChild(el("span", "upload-figures", figures));
    return item;
  }

  function row(scan) {
    var tr = el("tr");
    tr.setAttribute("data-id", scan.id);
    var first = el("td", "num");
    var link = el("a", null, scan.id);
    link.href = scan.url;
    first.appendChild(link);
    tr.appendChild(first);
    tr.appendChild(el("td", null, scan.name));
    tr.appendChild(el("td", "num", scan.page));
    var status = el("td");
    status.appendChild(el("span", "status scan-" + scan.status, scan.status_label));
    tr.appendChild(status);
    tr.appendChild(el("td", null, scan.note));
    tr.appendChild(el("td", null, scan.uploaded_at));
    return tr;
  }

  function draw(state) {
    KEYS.forEach(function (key) { setText("count-" + key, state.counts[key]); });
    setText("review-count", state.counts.review);
    setText("rejected-count", state.counts.rejected);
    var list = document.getElementById("uploads");
    var items = document.createDocumentFragment();
    state.uploads.forEach(function (batch) { items.appendChild(upload(batch, state.labels)); });
    if (!state.uploads.length) { items.appendChild(el("li", "upload-none", "Chưa có ảnh nào.")); }
    list.replaceChildren(items);
    var body = document.querySelector("#recent-scans tbody");
    var rows = document.createDocumentFragment();
    state.recent.forEach(function (scan) { rows.appendChild(row(scan)); });
    body.replaceChildren(rows);
    var health = document.getElementById("worker-health");
    if (health && state.worker) {
      health.className = "worker-health flash " + (state.worker.ok ? "flash-success" : "flash-error");
      health.replaceChildren(document.createTextNode("Máy đọc phiếu: "), el("strong", null, state.worker.text));
    }
    live.textContent = state.waiting ? "Đang đọc: còn " + state.waiting + " ảnh chờ. Trang tự cập nhật."
                                     : "Đã đọc hết các ảnh đã nhận. Trang tự cập nhật.";
  }

  function poll() {
    fetch(holder.getAttribute("data-src"), { credentials: "same-origin", cache: "no-store",
                                             headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (state) {
        draw(state);
        window.setTimeout(poll, state.waiting ? 2000 : 6000);
      }, function () {
        live.textContent = "Mất kết nối với máy chủ — đang thử lại…";
        window.setTimeout(poll, 6000);
      });
  }

  window.setTimeout(poll, 1000);
}());
