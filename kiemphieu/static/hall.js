// The hall's projector page: polls hall.json and redraws; the presenter moves between the
// congress's elections with ←/→, PageUp/PageDown (what a clicker sends), Home/End; F goes
// full screen. The position is kept in the address (#2) so a reload stays on the election.
(function () {
  "use strict";
  var root = document.getElementById("hall");
  var holder = document.getElementById("slides");
  var position = document.getElementById("hall-position");
  var offline = document.getElementById("hall-offline");
  var POLL_MS = 3000;
  var index = Math.max(0, (parseInt(window.location.hash.slice(1), 10) || 1) - 1);

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function figure(dl, label, value) {
    var box = el("div");
    box.appendChild(el("dt", null, label));
    box.appendChild(el("dd", null, value));
    dl.appendChild(box);
  }

  function finalPart(section, slide) {
    var dl = el("dl", "figures");
    figure(dl, "Số lượng cần bầu", slide.seats);
    figure(dl, "Tổng số làm căn cứ tính kết quả", slide.base);
    figure(dl, "Số phiếu tối thiểu để trúng cử", slide.majority);
    figure(dl, "Phiếu thu về", slide.counted);
    figure(dl, "Hợp lệ", slide.valid);
    figure(dl, "Không hợp lệ", slide.invalid);
    section.appendChild(dl);
    if (slide.elected.length) {
      section.appendChild(el("h2", "elected-heading", slide.elected_heading + ":"));
      var list = el("ol", "elected" + (slide.elected.length > 8 ? " many" : ""));
      slide.elected.forEach(function (row) {
        var item = el("li");
        item.appendChild(el("span", "rank", row.rank + "."));
        item.appendChild(el("span", "name", row.name));
        item.appendChild(el("span", "votes", row.votes + " phiếu"));
        item.appendChild(el("span", "percent", row.percent + "%"));
        list.appendChild(item);
      });
      section.appendChild(list);
    } else {
      section.appendChild(el("p", "elected-none", "Không có đồng chí nào trúng cử."));
    }
    var outcome = el("div", "outcome");
    slide.outcome.forEach(function (text) { outcome.appendChild(el("p", null, text)); });
    section.appendChild(outcome);
  }

  function countingPart(section, slide) {
    section.appendChild(el("p", "slide-status", "Đang kiểm phiếu"));
    var figureLine = el("p", "progress-figure");
    figureLine.appendChild(el("span", "counted", slide.counted));
    if (slide.issued !== null) {
      figureLine.appendChild(document.createTextNode(" / "));
      figureLine.appendChild(el("span", "issued", slide.issued));
    }
    figureLine.appendChild(document.createTextNode(" phiếu"));
    section.appendChild(figureLine);
    if (slide.issued) {
      var bar = el("progress", "progress");
      bar.max = slide.issued;
      bar.value = Math.min(slide.counted, slide.issued);
      section.appendChild(bar);
    }
    section.appendChild(el("p", "slide-note", "Số lượng cần bầu: " + slide.seats +
      ". Kết quả được công bố sau khi Ban kiểm phiếu kiểm xong và chốt kết quả."));
  }

  function build(slide, i) {
    var section = el("section", "slide state-" + slide.state);
    section.setAttribute("data-index", i);
    section.setAttribute("data-election", slide.election_id);
    section.appendChild(el("h1", "slide-title", slide.title));
    if (slide.round > 1) { section.appendChild(el("p", "slide-round", "Bầu lần " + slide.round)); }
    if (slide.state === "final") {
      finalPart(section, slide);
    } else if (slide.state === "counting") {
      countingPart(section, slide);
    } else {
      section.appendChild(el("p", "slide-status", "Chưa bắt đầu kiểm phiếu"));
      section.appendChild(el("p", "slide-note", "Số lượng cần bầu: " + slide.seats + "."));
    }
    return section;
  }

  function sections() { return holder.querySelectorAll("section.slide[data-index]"); }

  function show(next) {
    var all = sections();
    if (!all.length) { return; }
    index = Math.min(Math.max(next, 0), all.length - 1);
    for (var i = 0; i < all.length; i += 1) { all[i].hidden = i !== index; }
    position.textContent = (index + 1) + " / " + all.length;
    if (window.location.hash !== "#" + (index + 1)) {
      window.history.replaceState(null, "", "#" + (index + 1));
    }
  }

  function draw(state) {
    var fresh = document.createDocumentFragment();
    state.slides.forEach(function (slide, i) { fresh.appendChild(build(slide, i)); });
    if (!state.slides.length) { return; }
    holder.replaceChildren(fresh);
    show(index);
  }

  var busy = false;
  function poll() {
    if (busy) { return; }
    busy = true;
    fetch(root.getAttribute("data-src"), { credentials: "same-origin", cache: "no-store",
                                           headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (state) { busy = false; offline.hidden = true; draw(state); },
            function () { busy = false; offline.hidden = false; });
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    var key = event.key;
    if (key === "ArrowRight" || key === "PageDown" || key === "ArrowDown") {
      show(index + 1);
    } else if (key === "ArrowLeft" || key === "PageUp" || key === "ArrowUp") {
      show(index - 1);
    } else if (key === "Home") {
      show(0);
    } else if (key === "End") {
      show(sections().length - 1);
    } else if (key === "f" || key === "F") {
      if (document.fullscreenElement) { document.exitFullscreen(); }
      else if (document.documentElement.requestFullscreen) { document.documentElement.requestFullscreen(); }
    } else {
      return;
    }
    event.preventDefault();
  });

  show(index);
  window.setInterval(poll, POLL_MS);
  poll();
}());
