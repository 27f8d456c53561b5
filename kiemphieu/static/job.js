// The "Đang tạo tài liệu…" page: polls the job's status every 1.5 s (no reload, no inline
// script) and opens the document once the worker has made it, or shows the error.
(function () {
  "use strict";
  var holder = document.getElementById("job");
  if (!holder) { return; }
  var shown = function (id, on) { document.getElementById(id).hidden = !on; };
  var timer = null;

  function apply(state) {
    if (state.failed) {
      document.getElementById("job-error").textContent = state.error || "";
      shown("job-waiting", false); shown("job-error", true); shown("job-retry", true);
      return true;
    }
    if (state.done) {
      shown("job-waiting", false); shown("job-ready", true);
      window.location.assign(state.download);
      return true;
    }
    return false;
  }

  function poll() {
    fetch(holder.getAttribute("data-src"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (state) {
        if (!state || !apply(state)) { timer = window.setTimeout(poll, 1500); }
      }, function () { timer = window.setTimeout(poll, 3000); });
  }

  if (!document.getElementById("job-waiting").hidden) { timer = window.setTimeout(poll, 1000); }
}());
