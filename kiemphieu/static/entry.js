// The ballot entry screen: keyboard first, every save confirmed by the server after its commit.
// Plain JS, no framework, no build step. The server (kiemphieu.tally) decides validity; this
// file only asks it (/judge, memoised per reading) and shows the answer.
(function () {
  "use strict";

  var cfg = JSON.parse(document.getElementById("entry-config").textContent);
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var strike = cfg.form === "strike";
  var count = cfg.candidates.length;
  var ids = cfg.candidates.map(function (c) { return c.id; });
  var rows = {};
  Array.prototype.forEach.call(document.querySelectorAll("#candidates tr.cand"), function (tr) {
    rows[tr.getAttribute("data-id")] = tr;
  });
  var $ = function (id) { return document.getElementById(id); };

  var totals = cfg.totals;      // {counted, valid, invalid, votes, last_sequence} from the engine
  var recent = cfg.recent || []; // newest first
  var ballot = freshBallot();
  var buffer = "";              // digits typed towards a list number
  var mode = "ballot";          // ballot | invalid | confirm-invalid | confirm-undo | failed
  var reasonIndex = -1;
  var pendingInvalid = null;    // snapshot waiting for "save anyway"
  var checking = false, heldKeys = [];
  var queue = [], sending = false, failedItem = null;
  var verdicts = {};            // marks JSON -> the server's verdict (memo)

  // ---------------------------------------------------------------- helpers

  function newKey() {
    // crypto.randomUUID needs a secure context; a LAN server on http:// is not one.
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function freshBallot() {
    return { struck: {}, boxes: {}, history: [], cursor: 0, key: newKey() };
  }

  function marksOf(b) {
    if (strike) {
      return { struck: ids.filter(function (id) { return b.struck[id]; }) };
    }
    var boxes = {};
    ids.forEach(function (id) { boxes[id] = b.boxes[id] || "none"; });
    return { boxes: boxes };
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) {
        // A login page or an error page: the session ended or the server refused.
        return { status: response.status, body: { error: "Máy chủ trả lời không đúng (mã " + response.status +
          "). Có thể phiên đăng nhập đã hết: mở trang trong thẻ mới để đăng nhập lại." } };
      }
      return response.json().then(function (data) { return { status: response.status, body: data }; });
    });
  }

  function say(text, kind) {
    var box = $("message");
    box.textContent = text;
    box.className = "entry-message" + (kind ? " msg-" + kind : "");
  }

  function summary(marks) {
    if (marks.invalid) {
      var reason = cfg.reasons.filter(function (r) { return r.code === marks.invalid; })[0];
      return "không hợp lệ: " + (reason ? reason.label.toLowerCase() : marks.invalid);
    }
    if (marks.struck) {
      var orders = marks.struck.map(function (id) { return ids.indexOf(id) + 1; });
      return orders.length ? "gạch " + orders.join(", ") : "không gạch tên nào";
    }
    var short = { agree: "Đ", disagree: "K", both: "Đ+K", none: "–" };
    return ids.map(function (id, i) { return (i + 1) + ":" + short[marks.boxes[id]]; }).join(" ");
  }

  // ---------------------------------------------------------------- the verdict (server-side engine)

  function verdictFor(marks) {
    var key = JSON.stringify(marks);
    if (verdicts[key]) { return Promise.resolve(verdicts[key]); }
    return post(cfg.urls.judge, { marks: marks }).then(function (r) {
      if (r.status === 200) { verdicts[key] = r.body; return r.body; }
      return null;
    }, function () { return null; });
  }

  function showVerdict() {
    var marks = marksOf(ballot);
    var asked = JSON.stringify(marks);
    verdictFor(marks).then(function (v) {
      if (asked !== JSON.stringify(marksOf(ballot))) { return; } // the ballot changed meanwhile
      var box = $("verdict");
      if (!v) { box.textContent = "Chưa kiểm tra được phiếu (mất kết nối?)"; box.className = "verdict unknown"; return; }
      box.textContent = v.valid ? "Phiếu hợp lệ" : "Không hợp lệ: " + v.label;
      box.className = "verdict " + (v.valid ? "ok" : "bad");
    });
  }

  // ---------------------------------------------------------------- drawing

  function render() {
    var kept = 0;
    ids.forEach(function (id, i) {
      var tr = rows[id];
      if (strike) {
        var isStruck = !!ballot.struck[id];
        if (!isStruck) { kept += 1; }
        tr.classList.toggle("struck", isStruck);
        tr.querySelector(".mark-label").textContent = isStruck ? "GẠCH" : "giữ lại";
      } else {
        var mark = ballot.boxes[id] || "none";
        if (mark === "agree") { kept += 1; }
        tr.querySelector(".box-agree").textContent = (mark === "agree" || mark === "both") ? "X" : "";
        tr.querySelector(".box-disagree").textContent = (mark === "disagree" || mark === "both") ? "X" : "";
        tr.classList.toggle("cursor", i === ballot.cursor);
        tr.setAttribute("data-mark", mark);
      }
      tr.querySelector(".votes").textContent = totals.votes[id] || 0;
    });
    var keptBox = $("kept");
    keptBox.textContent = (strike ? "Giữ lại " : "Đồng ý ") + kept + "/" + cfg.seats;
    keptBox.className = "entry-kept" + (kept > cfg.seats ? " over" : kept === 0 ? " zero" : "");
    $("seq").textContent = "Phiếu số " + (totals.last_sequence + queue.length + 1);
    $("buffer").textContent = buffer ? "Số đang gõ: " + buffer + " (Space để chọn)" : "";
    $("t-counted").textContent = totals.counted;
    $("t-valid").textContent = totals.valid;
    $("t-invalid").textContent = totals.invalid;
    // More ballots than were issued: the engine's reconciliation will flag it; say so now.
    $("t-issued").parentNode.classList.toggle("over", cfg.issued !== null && totals.counted > cfg.issued);
    var list = $("recent");
    list.innerHTML = "";
    recent.slice(0, 8).forEach(function (b) {
      var li = document.createElement("li");
      li.setAttribute("data-sequence", b.sequence);
      var strong = document.createElement("b");
      strong.textContent = "Phiếu số " + b.sequence;
      li.appendChild(strong);
      li.appendChild(document.createTextNode(" · " + b.summary));
      list.appendChild(li);
    });
  }

  function changed() { render(); showVerdict(); }

  // ---------------------------------------------------------------- editing the ballot

  function toggle(order) {
    var id = ids[order - 1];
    ballot.struck[id] = !ballot.struck[id];
    ballot.history.push({ id: id, before: !ballot.struck[id], kind: "strike" });
  }

  function setBox(mark) {
    var id = ids[ballot.cursor];
    var before = ballot.boxes[id] || "none";
    ballot.boxes[id] = mark;
    ballot.history.push({ id: id, before: before, kind: "box", cursor: ballot.cursor });
    if (ballot.cursor < count - 1) { ballot.cursor += 1; }
  }

  function undoMark() {
    var last = ballot.history.pop();
    if (!last) { return false; }
    if (last.kind === "strike") { ballot.struck[last.id] = last.before; }
    else { ballot.boxes[last.id] = last.before; ballot.cursor = last.cursor; }
    return true;
  }

  function chooseOrder(order) {
    if (order < 1 || order > count) { say("Không có số " + order + " trong danh sách.", "bad"); return; }
    if (strike) { toggle(order); } else { ballot.cursor = order - 1; }
  }

  // Digits build a list number; it applies as soon as no longer number can start with it.
  function typeDigit(digit) {
    buffer += digit;
    var value = parseInt(buffer, 10);
    if (buffer === "0" || value > count) { say("Không có số " + buffer + " trong danh sách.", "bad"); buffer = ""; return; }
    if (value * 10 > count) { buffer = ""; chooseOrder(value); }
  }

  function applyBuffer() {
    if (!buffer) { return false; }
    var value = parseInt(buffer, 10);
    buffer = "";
    chooseOrder(value);
    return true;
  }

  function clearBallot() {
    var key = ballot.key;
    ballot = freshBallot();
    ballot.key = key; // the same paper: keep its key until it is saved
    buffer = "";
  }

  // ---------------------------------------------------------------- saving (queued, in order)

  function requestSave() {
    if (applyBuffer()) { changed(); return; }
    var snapshot = { marks: marksOf(ballot), key: ballot.key };
    checking = true;
    verdictFor(snapshot.marks).then(function (v) {
      checking = false;
      if (v && !v.valid) {
        pendingInvalid = snapshot;
        heldKeys = [];
        openDialog("confirm-invalid", "Phiếu không hợp lệ: " + v.label,
          "<p>" + escapeHtml(summary(snapshot.marks)) + "</p>",
          "Enter: vẫn lưu là phiếu không hợp lệ · Esc: quay lại sửa phiếu");
        return;
      }
      enqueue(snapshot, false);
      replayHeldKeys();
    });
  }

  function enqueue(snapshot, confirmed) {
    queue.push({ marks: snapshot.marks, key: snapshot.key, confirm: confirmed });
    ballot = freshBallot();
    buffer = "";
    changed();
    pump();
  }

  function pump() {
    if (sending || failedItem || !queue.length) { return; }
    sending = true;
    var item = queue[0];
    post(cfg.urls.save, { key: item.key, marks: item.marks, confirm_invalid: item.confirm }).then(function (r) {
      sending = false;
      if (r.status === 200 || r.status === 201) {
        queue.shift();
        acknowledge(r.body);
        pump();
      } else if (r.status >= 500) {
        retryLater();
      } else {
        failedItem = item;
        openDialog("failed", "Phiếu chưa được lưu",
          "<p>" + escapeHtml(summary(item.marks)) + "</p><p class=\"bad\">" + escapeHtml(r.body.error || "") + "</p>",
          "Esc: bỏ phiếu này (nhập lại) · Enter: gửi lại");
      }
    }, function () {
      sending = false;
      retryLater();
    });
    render();
  }

  function retryLater() {
    say("Mất kết nối với máy chủ: " + queue.length + " phiếu chờ lưu, đang thử lại…", "bad");
    window.setTimeout(pump, 1000);
  }

  function acknowledge(body) {
    var expected = totals.last_sequence + 1;
    recent.unshift({ sequence: body.sequence, summary: body.summary });
    if (body.duplicate || body.sequence !== expected) {
      // Stored earlier (a retried request) or someone else enters this pass: reload the engine's totals.
      refreshState();
    } else {
      totals.last_sequence = body.sequence;
      totals.counted += 1;
      if (body.verdict.valid) {
        totals.valid += 1;
        body.verdict.votes.forEach(function (id) { totals.votes[id] = (totals.votes[id] || 0) + 1; });
      } else {
        totals.invalid += 1;
      }
    }
    say("Đã lưu phiếu số " + body.sequence + (body.verdict.valid ? "" : " (không hợp lệ)") + ".", "ok");
    render();
  }

  function refreshState() {
    fetch(cfg.urls.state, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) { totals = data.totals; recent = data.recent; render(); });
  }

  // ---------------------------------------------------------------- undo the last saved ballot

  function askUndo() {
    if (queue.length || sending) { say("Đang lưu phiếu, thử lại sau giây lát.", "bad"); return; }
    if (!totals.last_sequence) { say("Chưa có phiếu nào trong lượt này để hủy.", "bad"); return; }
    var last = recent[0] && recent[0].sequence === totals.last_sequence ? recent[0].summary : "";
    openDialog("confirm-undo", "Hủy phiếu số " + totals.last_sequence + "?",
      "<p>" + escapeHtml(last) + "</p><p>Phiếu bị hủy vẫn được lưu vết (không xóa); bạn nhập lại phiếu đó.</p>",
      "Enter hoặc Backspace: hủy phiếu · Esc: thôi");
  }

  function doUndo() {
    var sequence = totals.last_sequence;
    closeDialog();
    post(cfg.urls.undo, { sequence: sequence }).then(function (r) {
      if (r.status === 200) {
        totals = r.body.totals;
        recent = r.body.recent;
        say("Đã hủy phiếu số " + r.body.undone + ": nhập lại phiếu đó.", "ok");
      } else {
        say(r.body.error || "Không hủy được phiếu.", "bad");
      }
      render();
    }, function () { say("Mất kết nối: chưa hủy được phiếu.", "bad"); });
  }

  // ---------------------------------------------------------------- invalid ballots (committee reasons)

  function askInvalid() {
    applyBuffer();
    reasonIndex = -1;
    var html = "<ol class=\"reasons\">" + cfg.reasons.map(function (r, i) {
      return "<li data-index=\"" + i + "\"><kbd>" + (i + 1) + "</kbd> " + escapeHtml(r.label) + "</li>";
    }).join("") + "</ol>";
    openDialog("invalid", "Phiếu không hợp lệ — lý do của Ban kiểm phiếu", html,
      "Phím số: chọn lý do · Enter: lưu · Esc: thôi");
  }

  function chooseReason(index) {
    reasonIndex = index;
    Array.prototype.forEach.call(document.querySelectorAll("#dialog .reasons li"), function (li, i) {
      li.classList.toggle("chosen", i === index);
    });
  }

  function saveInvalid() {
    if (reasonIndex < 0) { $("dialog-hint").textContent = "Chọn lý do bằng phím số trước."; return; }
    var snapshot = { marks: { invalid: cfg.reasons[reasonIndex].code }, key: ballot.key };
    closeDialog();
    enqueue(snapshot, false);
  }

  // ---------------------------------------------------------------- dialogs

  function escapeHtml(text) {
    return String(text).replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;" }[c];
    });
  }

  function openDialog(kind, title, html, hint) {
    mode = kind;
    $("dialog-title").textContent = title;
    $("dialog-body").innerHTML = html;
    $("dialog-hint").textContent = hint;
    $("dialog").hidden = false;
    $("dialog").setAttribute("data-kind", kind);
  }

  function closeDialog() {
    mode = "ballot";
    $("dialog").hidden = true;
    $("dialog").removeAttribute("data-kind");
  }

  function replayHeldKeys() {
    var keys = heldKeys;
    heldKeys = [];
    keys.forEach(handleKey);
  }

  // ---------------------------------------------------------------- keys

  function handleDialogKey(e) {
    var key = e.key;
    if (mode === "invalid") {
      if (key >= "1" && key <= String(cfg.reasons.length)) { chooseReason(parseInt(key, 10) - 1); }
      else if (key === "Enter") { saveInvalid(); }
      else if (key === "Escape") { closeDialog(); }
    } else if (mode === "confirm-invalid") {
      if (key === "Enter") { closeDialog(); enqueue(pendingInvalid, true); pendingInvalid = null; }
      else if (key === "Escape") { closeDialog(); pendingInvalid = null; changed(); }
    } else if (mode === "confirm-undo") {
      if (key === "Enter" || key === "Backspace" || ((e.ctrlKey || e.metaKey) && key.toLowerCase() === "z")) { doUndo(); }
      else if (key === "Escape") { closeDialog(); }
    } else if (mode === "failed") {
      if (key === "Enter") { failedItem = null; closeDialog(); pump(); }
      else if (key === "Escape") {
        queue.splice(queue.indexOf(failedItem), 1);
        failedItem = null;
        closeDialog();
        say("Đã bỏ phiếu chưa lưu được: hãy nhập lại phiếu đó.", "bad");
        render();
        pump();
      }
    }
  }

  function handleKey(e) {
    var key = e.key;
    if (mode !== "ballot") { handleDialogKey(e); return; }
    if ((e.ctrlKey || e.metaKey) && key.toLowerCase() === "z") { askUndo(); return; }
    if (e.ctrlKey || e.metaKey || e.altKey) { return; }
    if (key >= "0" && key <= "9" && key.length === 1) { typeDigit(key); changed(); return; }
    switch (key) {
      case " ": applyBuffer(); changed(); return;
      case "Enter": requestSave(); return;
      case "Escape": clearBallot(); changed(); say("", ""); return;
      case "/": case "F9": askInvalid(); return;
      case "Backspace":
        if (buffer) { buffer = buffer.slice(0, -1); render(); return; }
        if (undoMark()) { changed(); return; }
        askUndo();
        return;
    }
    if (!strike) {
      var marks = { a: "agree", "+": "agree", d: "disagree", "-": "disagree", b: "both", "*": "both", n: "none" };
      var lower = key.toLowerCase();
      if (marks[lower]) { applyBuffer(); setBox(marks[lower]); changed(); return; }
      if (key === "ArrowDown") { ballot.cursor = Math.min(count - 1, ballot.cursor + 1); render(); return; }
      if (key === "ArrowUp") { ballot.cursor = Math.max(0, ballot.cursor - 1); render(); return; }
    }
  }

  var HANDLED = /^([0-9 \/*+\-]|Enter|Escape|Backspace|F9|ArrowUp|ArrowDown|[abdnABDN])$/;

  document.addEventListener("keydown", function (e) {
    var target = e.target;
    if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) { return; }
    var ours = HANDLED.test(e.key) || ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "z");
    if (!ours) { return; }
    if (e.altKey || (e.ctrlKey && e.key.toLowerCase() !== "z")) { return; }
    e.preventDefault();
    if (checking) { heldKeys.push({ key: e.key, ctrlKey: e.ctrlKey, metaKey: e.metaKey, altKey: e.altKey }); return; }
    handleKey(e);
  });

  // ---------------------------------------------------------------- mouse

  document.getElementById("candidates").addEventListener("click", function (e) {
    if (mode !== "ballot") { return; }
    var tr = e.target.closest("tr.cand");
    if (!tr) { return; }
    var order = parseInt(tr.getAttribute("data-order"), 10);
    if (strike) { toggle(order); }
    else {
      ballot.cursor = order - 1;
      var cell = e.target.closest("td.box");
      if (cell) {
        var mark = cell.getAttribute("data-mark");
        var current = ballot.boxes[ids[order - 1]] || "none";
        setBox(current === mark ? "none" : mark);
        ballot.cursor = order - 1;
      }
    }
    changed();
  });

  document.querySelector(".entry-buttons").addEventListener("click", function (e) {
    var button = e.target.closest("button[data-action]");
    if (!button || mode !== "ballot") { return; }
    button.blur();
    var action = button.getAttribute("data-action");
    if (action === "save") { requestSave(); }
    else if (action === "invalid") { askInvalid(); }
    else if (action === "clear") { clearBallot(); changed(); }
    else if (action === "undo") { askUndo(); }
  });

  $("dialog").addEventListener("click", function (e) {
    var li = e.target.closest(".reasons li");
    if (li) { chooseReason(parseInt(li.getAttribute("data-index"), 10)); }
  });

  window.addEventListener("beforeunload", function (e) {
    if (queue.length) { e.preventDefault(); e.returnValue = "Còn phiếu chưa lưu."; }
  });

  changed();
  $("ballot").focus({ preventScroll: true });
}());
