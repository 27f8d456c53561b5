// Refresh the live figures every few seconds while ballots are being entered.
(function () {
  var busy = false;
  window.setInterval(function () {
    if (busy || document.hidden) { return; }
    busy = true;
    fetch(window.location.href, { credentials: "same-origin", headers: { "X-Partial": "1" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        busy = false;
        if (!html) { return; }
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("#live");
        if (fresh) { document.getElementById("live").replaceWith(fresh); }
      }, function () { busy = false; });
  }, 4000);
}());
