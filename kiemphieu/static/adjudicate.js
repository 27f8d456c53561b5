// Adjudication page: boxes over the ballot image, the current row enlarged, keyboard rulings.
// Plain JavaScript, served locally (the server has no internet). Works without it too:
// the form is ordinary radio buttons.
(function () {
  "use strict";
  var dataNode = document.getElementById("page-data");
  var form = document.getElementById("ruling-form");
  if (!dataNode) { return; }
  var data = JSON.parse(dataNode.textContent);
  var image = document.getElementById("page-image");
  var overlay = document.getElementById("page-overlay");
  var crop = document.getElementById("crop");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#rows tbody tr"));
  var boxes = {};
  data.rows.forEach(function (r) { boxes[r.code] = r; });
  var current = 0;
  for (var i = 0; i < rows.length; i++) {
    if (rows[i].classList.contains("doubtful")) { current = i; break; }
  }

  function scale() {
    return { x: image.naturalWidth / data.page_mm[0], y: image.naturalHeight / data.page_mm[1] };
  }

  function rect(ctx, box, s, colour, width) {
    if (!box) { return; }
    ctx.strokeStyle = colour;
    ctx.lineWidth = width;
    ctx.strokeRect(box[0] * s.x, box[1] * s.y, box[2] * s.x, box[3] * s.y);
  }

  function draw() {
    if (!image || !image.naturalWidth || !overlay) { return; }
    overlay.width = image.naturalWidth;
    overlay.height = image.naturalHeight;
    var ctx = overlay.getContext("2d");
    ctx.clearRect(0, 0, overlay.width, overlay.height);
    if (!data.aligned) { drawCrop(null); return; }
    var s = scale();
    var line = Math.max(2, Math.round(image.naturalWidth / 400));
    data.rows.forEach(function (r) {
      if (r.doubtful) { rect(ctx, r.row_mm, s, "rgba(220, 53, 69, 0.9)", line); }
    });
    if (data.flags.indexOf("no_stamp") >= 0) { rect(ctx, data.stamp_mm, s, "rgba(255, 140, 0, 0.9)", line); }
    var code = rows.length ? rows[current].getAttribute("data-code") : null;
    if (code && boxes[code]) { rect(ctx, boxes[code].row_mm, s, "rgba(31, 95, 191, 1)", line * 2); }
    drawCrop(code ? boxes[code] : null);
  }

  function drawCrop(row) {
    if (!crop || !image || !image.naturalWidth) { return; }
    var ctx = crop.getContext("2d");
    var sx = 0, sy = 0, sw = image.naturalWidth, sh = image.naturalHeight;
    if (row && data.aligned) {
      var s = scale(), pad = 2.5;  // millimetres around the row
      sx = Math.max(0, (row.row_mm[0] - pad) * s.x);
      sy = Math.max(0, (row.row_mm[1] - pad) * s.y);
      sw = Math.min(image.naturalWidth - sx, (row.row_mm[2] + 2 * pad) * s.x);
      sh = Math.min(image.naturalHeight - sy, (row.row_mm[3] + 2 * pad) * s.y);
    }
    crop.height = Math.round(crop.width * sh / sw);
    ctx.drawImage(image, sx, sy, sw, sh, 0, 0, crop.width, crop.height);
  }

  function select(index) {
    if (!rows.length) { return; }
    current = (index + rows.length) % rows.length;
    rows.forEach(function (tr, i) { tr.classList.toggle("current", i === current); });
    rows[current].scrollIntoView({ block: "nearest" });
    draw();
  }

  function nextDoubtful() {
    for (var step = 1; step <= rows.length; step++) {
      var i = (current + step) % rows.length;
      if (rows[i].classList.contains("doubtful") && !rows[i].classList.contains("ruled")) { select(i); return; }
    }
    select(current + 1);
  }

  function choose(position) {
    var inputs = rows[current].querySelectorAll("input[type=radio]");
    if (position < inputs.length && !inputs[position].disabled) {
      inputs[position].checked = true;
      rows[current].classList.add("ruled");
      nextDoubtful();
    }
  }

  function ballot(value) {
    var input = form && form.querySelector("input[name=ballot][value=" + value + "]");
    if (input && !input.disabled) { input.checked = true; }
    return input;
  }

  // "Invalid, with the committee's reason": the entry screen's keys (/ or F9, a digit, Enter).
  var reasonSelect = form && form.querySelector("select[name=invalid_reason]");
  var reasonPanel = document.getElementById("reason-keys");
  var reasonMode = false;

  function reasonCodes() {
    return reasonSelect ? Array.prototype.slice.call(reasonSelect.options).map(function (o) { return o.value; })
      .filter(function (v) { return v; }) : [];
  }

  function askReason() {
    if (!reasonSelect || reasonSelect.disabled) { return; }
    reasonMode = true;
    if (reasonPanel) { reasonPanel.hidden = false; }
    showChosenReason();
  }

  function showChosenReason() {
    if (!reasonPanel) { return; }
    Array.prototype.forEach.call(reasonPanel.querySelectorAll("li"), function (li) {
      li.classList.toggle("chosen", li.getAttribute("data-reason") === reasonSelect.value);
    });
  }

  function chooseReason(index) {
    var codes = reasonCodes();
    if (index < 0 || index >= codes.length) { return; }
    reasonSelect.value = codes[index];
    ballot("invalid");
    showChosenReason();
  }

  function leaveReasonMode(keepChoice) {
    reasonMode = false;
    if (reasonPanel) { reasonPanel.hidden = true; }
    if (!keepChoice && reasonSelect) {
      reasonSelect.value = "";
      var invalid = form.querySelector("input[name=ballot][value=invalid]");
      if (invalid) { invalid.checked = false; }
    }
  }

  function save() {
    if (!form) { return; }
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  }

  rows.forEach(function (tr, i) {
    tr.addEventListener("click", function () { select(i); });
    tr.addEventListener("change", function () { tr.classList.add("ruled"); });
  });
  if (reasonSelect) {
    reasonSelect.addEventListener("change", function () { if (reasonSelect.value) { ballot("invalid"); } showChosenReason(); });
  }

  function reasonKey(event) {
    var codes = reasonCodes();
    if (event.key >= "1" && event.key <= String(codes.length) && event.key.length === 1) {
      chooseReason(parseInt(event.key, 10) - 1);
    } else if (event.key === "Enter") {
      if (!reasonSelect.value) { return true; }  // a reason first
      leaveReasonMode(true);
      save();
    } else if (event.key === "Escape") {
      leaveReasonMode(false);
    } else if (event.key === "/" || event.key === "F9") {
      // already asking
    } else {
      return false;
    }
    return true;
  }

  // Keys work wherever the focus is (a radio, the reason list, a button), except in a text field.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var tag = (target.tagName || "").toLowerCase();
    if (tag === "textarea" || (tag === "input" && /^(text|search|password)$/.test(target.type))) { return; }
    if (event.ctrlKey || event.altKey || event.metaKey) { return; }
    if (!form || !form.querySelector("input[name=ballot]:not([disabled])")) { return; }
    if (reasonMode) {
      if (reasonKey(event)) { event.preventDefault(); }
      return;
    }
    var keys = data.form === "strike" ? { "1": 0, "2": 1 } : { "1": 0, "2": 1, "3": 2, "0": 3 };
    if (event.key === "ArrowDown") { select(current + 1); }
    else if (event.key === "ArrowUp") { select(current - 1); }
    else if (event.key in keys) { choose(keys[event.key]); }
    else if (event.key === "v" || event.key === "V") { ballot("valid"); }
    else if (event.key === "n" || event.key === "N") { ballot("not_ballot"); }
    else if (event.key === "/" || event.key === "F9") { askReason(); }
    else if (event.key === "Escape") { leaveReasonMode(false); }
    else if (event.key === "Enter") { save(); }
    else { return; }
    event.preventDefault();
  });

  if (image) {
    if (image.complete) { select(current); } else { image.addEventListener("load", function () { select(current); }); }
    window.addEventListener("resize", draw);
  } else {
    select(current);
  }
})();
