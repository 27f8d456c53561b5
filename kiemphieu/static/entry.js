// The ballot entry screen: keyboard first, every save confirmed by the server after its commit.
// Plain JS, no framework, no build step.
//
// Why it never drops a keystroke: every key is applied at once, in the order typed, by one
// synchronous state machine; nothing waits for the network. Whether Enter must ask before
// saving comes from the engine's verdict table (cfg.verdicts, made by kiemphieu.tally on the
// server), not from a request. A question (dialog) takes only its own keys; any other key typed
// while it is open is held, shown, and applied in order once the question is answered (then
// only Ctrl+Enter / Ctrl+Backspace answer it, since an Enter typed blind belongs to a later
// paper). Saves go out through one ordered outbox: one request at a time, each ballot with its
// stack position and its idempotency key, acknowledged in order. The outbox is also kept in the
// browser's storage until acknowledged: a reload, a crashed tab or a restarted machine sends the
// typed ballots again when the screen opens (the server recognises each by its key).
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
  var BATCH = 50;               // ballots sent in one request at most

  var totals = cfg.totals;      // the engine's totals of what the server acknowledged
  // The pass as this screen knows it, newest first: {sequence, key, summary, state: saved|pending}.
  var stack = (cfg.recent || []).map(function (b) {
    return { sequence: b.sequence, key: b.key, summary: b.summary, state: "saved" };
  });
  var last = totals.last_sequence; // top of the stack, saved or waiting
  var ballot = freshBallot();
  var buffer = "";              // digits typed towards a list number
  var dialog = null;            // the open question: {kind, held: [], yes, no, ...}
  var ahead = [];               // keys typed past a question answered "back to the ballot"
  var outbox = [], inFlight = 0, stalled = null, retryTimer = null;
  // One store per clerk and screen (round, pass, batch): another clerk's ballots are never sent.
  var STORE = "kiemphieu-outbox:" + cfg.clerk + ":" + cfg.urls.save;

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

  // The engine's verdict, looked up in the table it sent (see entry.services.verdict_table).
  function verdictOf(marks) {
    var table = cfg.verdicts;
    if (marks.invalid) { return { valid: false, reason: marks.invalid, label: reasonLabel(marks.invalid) }; }
    if (table.by === "kept") { return table.verdicts[count - marks.struck.length]; }
    if (table.by === "mark") { return table.verdicts[marks.boxes[ids[0]]]; }
    return table.verdicts[ids.filter(function (id) { return marks.boxes[id] === "agree"; }).length];
  }

  function reasonLabel(code) {
    var reason = cfg.reasons.filter(function (r) { return r.code === code; })[0];
    return reason ? reason.label : code;
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
          "). Có thể phiên đăng nhập đã hết: đăng nhập lại trong thẻ mới rồi bấm Gửi lại." } };
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
    if (marks.invalid) { return "không hợp lệ: " + reasonLabel(marks.invalid).toLowerCase(); }
    if (marks.struck) {
      var orders = marks.struck.map(function (id) { return ids.indexOf(id) + 1; });
      return orders.length ? "gạch " + orders.join(", ") : "không gạch tên nào";
    }
    var short = { agree: "Đ", disagree: "K", both: "Đ+K", none: "–" };
    return ids.map(function (id, i) { return (i + 1) + ":" + short[marks.boxes[id]]; }).join(" ");
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;" }[c];
    });
  }

  var KEY_NAMES = { " ": "Space", "Enter": "↵", "Escape": "Esc", "Backspace": "⌫", "ArrowUp": "↑", "ArrowDown": "↓" };

  function keysHtml(keys) {
    return keys.map(function (k) { return "<kbd>" + escapeHtml(KEY_NAMES[k] || k) + "</kbd>"; }).join(" ");
  }

  // ---------------------------------------------------------------- drawing

  // State changes at once, key by key; the screen is drawn at most once a frame, so a burst
  // of typed-ahead keys costs one drawing, not one per key.
  var drawPending = false;
  // The row last struck (strike form) is scrolled into view when drawn: on a long list the
  // clerk sees the name they just typed struck, not a row below the fold.
  var showRow = null;

  function render() {
    if (drawPending) { return; }
    drawPending = true;
    window.requestAnimationFrame(function () { drawPending = false; draw(); });
  }

  function draw() {
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
    var shown = strike ? showRow : (ballot.history.length || ballot.cursor ? ids[ballot.cursor] : null);
    showRow = null;
    if (shown && rows[shown] && rows[shown].scrollIntoView) { rows[shown].scrollIntoView({ block: "nearest" }); }
    var untouched = !ballot.history.length && !buffer;
    var keptBox = $("kept");
    keptBox.textContent = (strike ? "Giữ lại " : "Đồng ý ") + kept + "/" + cfg.seats;
    keptBox.className = "entry-kept" + (untouched ? "" : kept > cfg.seats ? " over" : kept === 0 ? " zero" : "");
    var box = $("verdict");
    if (untouched) {
      // Nothing typed yet: not a verdict on a paper, so no red.
      box.textContent = strike ? "Phiếu mới: gõ số thứ tự các tên bị gạch." : "Phiếu mới: đánh dấu từng dòng.";
      box.className = "verdict fresh";
    } else {
      var v = verdictOf(marksOf(ballot));
      box.textContent = v.valid ? "Phiếu hợp lệ" : "Không hợp lệ: " + v.label;
      box.className = "verdict " + (v.valid ? "ok" : "bad");
    }
    // With batches the position is counted inside the batch (each batch is its own stack).
    $("seq").textContent = "Phiếu số " + (last + 1) + (cfg.batch ? " của tệp " + cfg.batch.number : "");
    $("buffer").textContent = buffer ? "Số đang gõ: " + buffer + " (Space để chọn)" : "";
    $("t-counted").textContent = totals.counted;
    $("t-valid").textContent = totals.valid;
    $("t-invalid").textContent = totals.invalid;
    // More ballots than were issued: the engine's reconciliation will flag it; say so now.
    $("t-issued").parentNode.classList.toggle("over", cfg.issued !== null && totals.counted > cfg.issued);
    renderPending();
    if (stackDrawn !== stackVersion) { renderStack(); stackDrawn = stackVersion; }
  }

  var stackVersion = 0, stackDrawn = -1; // the recent list is redrawn only when the stack changes

  function stackChanged() { stackVersion += 1; }

  function renderPending() {
    var waiting = stack.filter(function (e) { return e.state === "pending"; }).length;
    var box = $("pending");
    box.textContent = waiting ? "Chờ lưu: " + waiting + " phiếu" : "";
    box.className = "entry-pending" + (stalled ? " stalled" : "");
    $("stall").hidden = !stalled;
    if (stalled) { $("stall-text").textContent = stalled; }
    var bar = $("ahead");
    bar.hidden = !ahead.length;
    if (ahead.length) {
      $("ahead-keys").innerHTML = keysHtml(ahead);
    }
  }

  function renderStack() {
    var list = $("recent");
    list.innerHTML = "";
    stack.slice(0, 8).forEach(function (entry) {
      var li = document.createElement("li");
      li.setAttribute("data-sequence", entry.sequence);
      li.className = entry.state;
      var strong = document.createElement("b");
      strong.textContent = "Phiếu số " + entry.sequence;
      li.appendChild(strong);
      li.appendChild(document.createTextNode(" · " + entry.summary + (entry.state === "pending" ? " (đang lưu…)" : "")));
      list.appendChild(li);
    });
  }

  // ---------------------------------------------------------------- editing the ballot

  function toggle(order) {
    var id = ids[order - 1];
    showRow = id;
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
    var lastMark = ballot.history.pop();
    if (!lastMark) { return false; }
    if (lastMark.kind === "strike") { ballot.struck[lastMark.id] = lastMark.before; }
    else { ballot.boxes[lastMark.id] = lastMark.before; ballot.cursor = lastMark.cursor; }
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

  // ---------------------------------------------------------------- saving (the ordered outbox)

  function requestSave() {
    applyBuffer(); // "3 1 Enter" strikes 3 and 1, then saves
    var marks = marksOf(ballot);
    var verdict = verdictOf(marks);
    if (!verdict.valid) {
      openDialog({
        kind: "confirm-invalid",
        title: "Phiếu không hợp lệ: " + verdict.label,
        body: "<p>" + escapeHtml(summary(marks)) + "</p>",
        hint: "Enter: vẫn lưu là phiếu không hợp lệ · Esc: quay lại sửa phiếu",
        yesText: "lưu phiếu số " + (last + 1) + " là không hợp lệ",
        own: function (k) { return k === "Enter" ? "yes" : k === "Escape" ? "no" : null; },
        yes: function () { enqueue(marks, true); }
      });
      return;
    }
    enqueue(marks, false);
  }

  function enqueue(marks, confirmed) {
    last += 1;
    var entry = { sequence: last, key: ballot.key, marks: marks, confirm: confirmed,
                  summary: summary(marks), state: "pending" };
    stack.unshift(entry);
    stackChanged();
    outbox.push({ kind: "save", entry: entry });
    persist();
    ballot = freshBallot();
    buffer = "";
    pump();
    if (ahead.length) { var keys = ahead; ahead = []; keys.forEach(feed); }
  }

  function pump() {
    if (inFlight || stalled || retryTimer || !outbox.length) { return; }
    var head = outbox[0];
    if (head.kind === "undo") { sendUndo(head); return; }
    var group = [];
    while (group.length < outbox.length && group.length < BATCH && outbox[group.length].kind === "save") {
      group.push(outbox[group.length]);
    }
    inFlight = group.length;
    post(cfg.urls.save, { ballots: group.map(function (op) {
      var e = op.entry;
      return { key: e.key, marks: e.marks, confirm_invalid: e.confirm, sequence: e.sequence };
    }) }).then(function (r) {
      inFlight = 0;
      if (r.status !== 200 || !r.body.saved) { return refused(r); }
      r.body.saved.forEach(function (body) { outbox.shift(); acknowledgeSave(body); });
      persist();
      if (r.body.error) { return stall(r.body.error); }
      render();
      pump();
    }, function () { inFlight = 0; retryLater(); });
  }

  // ---------------------------------------------------------------- the outbox kept across reloads

  function persist() {
    try {
      if (!outbox.length) { window.localStorage.removeItem(STORE); return; }
      window.localStorage.setItem(STORE, JSON.stringify(outbox.map(function (op) {
        if (op.kind === "undo") { return op; }
        var e = op.entry;
        return { kind: "save", entry: { sequence: e.sequence, key: e.key, marks: e.marks,
                                         confirm: e.confirm, summary: e.summary } };
      })));
    } catch (err) { /* storage off or full: the beforeunload warning still guards the page */ }
  }

  // Replays what an earlier page of this screen typed but never saw acknowledged, in order.
  // A ballot the server already stored comes back "duplicate" and is not stored twice; one whose
  // position was taken meanwhile is refused and the screen stalls on it, saying so.
  function restore() {
    var ops;
    try { ops = JSON.parse(window.localStorage.getItem(STORE) || "[]"); } catch (err) { ops = []; }
    var resent = 0;
    ops.forEach(function (op) {
      if (op.kind === "undo") {
        if (stack[0] && stack[0].sequence === op.sequence) { stack.shift(); }
        last = Math.min(last, op.sequence - 1);
        outbox.push(op);
        return;
      }
      var entry = op.entry;
      var known = stack.filter(function (e) { return e.key === entry.key; })[0];
      if (known) { return; } // acknowledged after the old page went away
      entry.state = "pending";
      if (entry.sequence > last) { stack.unshift(entry); last = entry.sequence; }
      outbox.push({ kind: "save", entry: entry });
      resent += 1;
    });
    persist();
    if (resent) {
      stackChanged();
      say("Đang gửi lại " + resent + " phiếu đã nhập trước khi trang được tải lại.", "");
    }
  }

  function refused(r) {
    if (r.status >= 500 || r.status === 0) { retryLater(); return; }
    stall(r.body.error || ("Máy chủ từ chối (mã " + r.status + ")."));
  }

  function stall(error) {
    var head = outbox[0];
    stalled = head.kind === "undo" ? "Chưa hủy được phiếu số " + head.sequence + ": " + error
      : "Phiếu số " + head.entry.sequence + " chưa được lưu: " + error;
    say(stalled, "bad");
    render();
  }

  function retryLater() {
    say("Mất kết nối với máy chủ: " + outbox.length + " thao tác chờ gửi, đang thử lại…", "bad");
    retryTimer = window.setTimeout(function () { retryTimer = null; pump(); }, 1000);
  }

  function acknowledgeSave(body) {
    var entry = stack.filter(function (e) { return e.key === body.key; })[0];
    if (entry) { entry.state = "saved"; stackChanged(); }
    if (body.duplicate || body.sequence !== totals.last_sequence + 1) {
      refreshTotals(); // stored by an earlier attempt of this very request: ask the engine again
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
  }

  function refreshTotals() {
    fetch(cfg.urls.state, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) { totals = data.totals; render(); });
  }

  // ---------------------------------------------------------------- undo the last ballot of the stack

  function askUndo() {
    if (!last) { say("Chưa có phiếu nào trong lượt này để hủy.", "bad"); return; }
    var top = stack[0] && stack[0].sequence === last ? stack[0] : null;
    var sequence = last;
    openDialog({
      kind: "confirm-undo",
      title: "Hủy phiếu số " + sequence + "?",
      body: "<p>" + escapeHtml(top ? top.summary : "") + "</p><p>Phiếu bị hủy vẫn được lưu vết (không xóa); bạn nhập lại phiếu đó.</p>",
      hint: "Enter hoặc Backspace: hủy phiếu · Esc: thôi",
      yesText: "hủy phiếu số " + sequence,
      own: function (k) {
        return (k === "Enter" || k === "Backspace" || k === "Ctrl+Z") ? "yes" : k === "Escape" ? "no" : null;
      },
      yes: function () { undoTop(top); }
    });
  }

  function undoTop(top) {
    var sequence = last;
    last -= 1;
    if (top) { stack.shift(); stackChanged(); }
    var waiting = top ? outbox.filter(function (op) { return op.kind === "save" && op.entry === top; })[0] : null;
    if (waiting && outbox.indexOf(waiting) >= inFlight) {
      // Never sent: take it out of the outbox, the server never hears of it.
      outbox.splice(outbox.indexOf(waiting), 1);
      persist();
      say("Đã hủy phiếu số " + sequence + ": nhập lại phiếu đó.", "ok");
    } else {
      outbox.push({ kind: "undo", sequence: sequence, key: top ? top.key : null });
      persist();
      say("Đang hủy phiếu số " + sequence + "…", "");
      pump();
    }
  }

  function sendUndo(op) {
    inFlight = 1;
    post(cfg.urls.undo, { sequence: op.sequence, key: op.key }).then(function (r) {
      inFlight = 0;
      if (r.status !== 200) { return refused(r); }
      outbox.shift();
      persist();
      totals = r.body.totals;
      say("Đã hủy phiếu số " + r.body.undone + ": nhập lại phiếu đó.", "ok");
      render();
      pump();
    }, function () { inFlight = 0; retryLater(); });
  }

  // ---------------------------------------------------------------- invalid ballots (committee reasons)

  function askInvalid() {
    applyBuffer();
    var chosen = -1;
    var html = "<ol class=\"reasons\">" + cfg.reasons.map(function (r, i) {
      return "<li data-index=\"" + i + "\"><kbd>" + (i + 1) + "</kbd> " + escapeHtml(r.label) + "</li>";
    }).join("") + "</ol>";
    openDialog({
      kind: "invalid",
      title: "Phiếu không hợp lệ — lý do của Ban kiểm phiếu",
      body: html,
      hint: "Phím số: chọn lý do · Enter: lưu · Esc: thôi",
      yesText: "lưu với lý do đã chọn",
      own: function (k) {
        if (k.length === 1 && k >= "1" && k <= String(cfg.reasons.length)) { choose(parseInt(k, 10) - 1); return "used"; }
        if (k === "Enter") {
          if (chosen >= 0) { return "yes"; }
          $("dialog-hint").textContent = "Chọn lý do bằng phím số trước.";
          return "used";
        }
        return k === "Escape" ? "no" : null;
      },
      click: function (index) { choose(index); },
      ready: function () { return chosen >= 0; },
      yes: function () { enqueue({ invalid: cfg.reasons[chosen].code }, false); }
    });
    function choose(index) {
      chosen = index;
      Array.prototype.forEach.call(document.querySelectorAll("#dialog .reasons li"), function (li, i) {
        li.classList.toggle("chosen", i === index);
      });
    }
  }

  // ---------------------------------------------------------------- questions (dialogs)

  function openDialog(spec) {
    spec.held = [];
    dialog = spec;
    $("dialog-title").textContent = spec.title;
    $("dialog-body").innerHTML = spec.body;
    $("dialog-hint").textContent = spec.hint;
    $("dialog-held").hidden = true;
    $("dialog").hidden = false;
    $("dialog").setAttribute("data-kind", spec.kind);
  }

  function closeDialog() {
    dialog = null;
    $("dialog").hidden = true;
    $("dialog").removeAttribute("data-kind");
  }

  // yes: do the question's action, then apply the held keys. no: back to the ballot; the held
  // keys wait (shown) until this ballot is saved, since they were typed for the papers after it.
  function answer(yes) {
    var spec = dialog;
    if (yes && spec.ready && !spec.ready()) { return; }
    closeDialog();
    if (yes) { spec.yes(); spec.held.forEach(feed); }
    else { ahead = ahead.concat(spec.held); }
  }

  function dialogKey(k) {
    if (dialog.held.length) {
      if (k === "Ctrl+Enter") { answer(true); }
      else if (k === "Ctrl+Backspace") { answer(false); }
      else { dialog.held.push(k); showHeld(); }
      return;
    }
    var meant = dialog.own(k);
    if (meant === "yes") { answer(true); }
    else if (meant === "no") { answer(false); }
    else if (meant === null) { dialog.held.push(k); showHeld(); }
  }

  function showHeld() {
    $("dialog-held").hidden = false;
    $("dialog-held-keys").innerHTML = keysHtml(dialog.held);
    $("dialog-hint").textContent = "Ctrl+Enter: " + dialog.yesText + ", rồi áp dụng các phím đó · " +
      "Ctrl+Backspace: quay lại phiếu (các phím đó áp dụng sau khi lưu phiếu này)";
  }

  // ---------------------------------------------------------------- keys

  var BOX_KEYS = { a: "agree", "+": "agree", d: "disagree", "-": "disagree", b: "both", "*": "both", n: "none" };

  // Every key, typed or replayed, goes through here, one at a time, in order.
  function feed(k) {
    if (dialog) { dialogKey(k); } else { ballotKey(k); }
    render();
  }

  function ballotKey(k) {
    if (k.length === 1 && k >= "0" && k <= "9") { typeDigit(k); return; }
    switch (k) {
      case " ": applyBuffer(); return;
      case "Enter": requestSave(); return;
      case "Escape": clearBallot(); say("", ""); return;
      case "/": case "F9": askInvalid(); return;
      case "Ctrl+Z": askUndo(); return;
      case "Ctrl+Delete":
        if (ahead.length) { say("Đã bỏ " + ahead.length + " phím gõ trước.", "bad"); ahead = []; }
        return;
      case "Backspace":
        if (buffer) { buffer = buffer.slice(0, -1); return; }
        if (!undoMark()) { askUndo(); }
        return;
    }
    if (!strike) {
      if (BOX_KEYS[k]) { applyBuffer(); setBox(BOX_KEYS[k]); return; }
      if (k === "ArrowDown") { ballot.cursor = Math.min(count - 1, ballot.cursor + 1); }
      if (k === "ArrowUp") { ballot.cursor = Math.max(0, ballot.cursor - 1); }
    }
  }

  var PLAIN = /^([0-9 \/*+\-]|Enter|Escape|Backspace|F9|ArrowUp|ArrowDown)$/;

  // The key as this screen names it, or null for keys it leaves to the browser.
  function keyName(e) {
    if (e.altKey || e.isComposing) { return null; }
    if (e.ctrlKey || e.metaKey) {
      if (e.key.toLowerCase() === "z") { return "Ctrl+Z"; }
      return /^(Enter|Backspace|Delete)$/.test(e.key) ? "Ctrl+" + e.key : null;
    }
    if (PLAIN.test(e.key)) { return e.key; }
    if (!strike && /^[abdnABDN]$/.test(e.key)) { return e.key.toLowerCase(); }
    return null;
  }

  document.addEventListener("keydown", function (e) {
    var target = e.target;
    if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) { return; }
    var k = keyName(e);
    if (!k) { return; }
    e.preventDefault();
    feed(k);
  });

  // ---------------------------------------------------------------- mouse

  $("candidates").addEventListener("click", function (e) {
    if (dialog) { return; }
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
    render();
  });

  document.querySelector(".entry-buttons").addEventListener("click", function (e) {
    var button = e.target.closest("button[data-action]");
    if (!button || dialog) { return; }
    button.blur();
    var action = { save: "Enter", invalid: "/", clear: "Escape", undo: "Ctrl+Z" }[button.getAttribute("data-action")];
    if (action) { feed(action); }
  });

  $("dialog").addEventListener("click", function (e) {
    var li = e.target.closest(".reasons li");
    if (li && dialog && dialog.click) { dialog.click(parseInt(li.getAttribute("data-index"), 10)); }
    var button = e.target.closest("button[data-answer]");
    if (button && dialog) { answer(button.getAttribute("data-answer") === "yes"); render(); }
  });

  $("stall-retry").addEventListener("click", function () {
    stalled = null;
    say("Đang gửi lại…", "");
    render();
    pump();
  });

  $("ahead-drop").addEventListener("click", function () { feed("Ctrl+Delete"); });

  window.addEventListener("beforeunload", function (e) {
    if (outbox.length) { e.preventDefault(); e.returnValue = "Còn phiếu chưa lưu."; }
  });

  restore();
  draw();
  pump();
  $("ballot").focus({ preventScroll: true });
}());
