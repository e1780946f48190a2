// Saves a form in the background as the person types or clicks (the page works without this script:
// its "save" button posts the same fields). Any form with data-autosave="<url>" is handled; the
// element named by data-status shows "saved" or "not saved" in words.
(function () {
  "use strict";
  if (!window.fetch || !window.FormData) { return; }
  Array.prototype.forEach.call(document.querySelectorAll("form[data-autosave]"), function (form) {
    var url = form.getAttribute("data-autosave");
    var status = document.getElementById(form.getAttribute("data-status") || "");
    var timer = null;
    var dirty = false;

    function say(key) {
      if (status) { status.textContent = status.getAttribute(key) || ""; }
    }

    function save() {
      if (!dirty) { return; }
      dirty = false;
      var data = new FormData(form);
      data.delete("action");
      say("data-saving");
      fetch(url, { method: "POST", body: data, credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.json().then(function (body) { return { ok: response.ok, body: body }; }); })
        .then(function (result) {
          if (result.ok && result.body.saved) { say("data-saved"); } else {
            dirty = true;
            if (status && result.body && result.body.error) { status.textContent = result.body.error; } else { say("data-failed"); }
          }
        })
        .catch(function () { dirty = true; say("data-failed"); });
    }

    function later(delay) {
      dirty = true;
      window.clearTimeout(timer);
      timer = window.setTimeout(save, delay);
    }

    form.addEventListener("change", function () { later(400); });
    form.addEventListener("input", function () { later(1500); });
    // Keep what was typed just before leaving the page.
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden" && dirty && navigator.sendBeacon) {
        var data = new FormData(form);
        data.delete("action");
        if (navigator.sendBeacon(url, data)) { dirty = false; }
      }
    });
  });
})();
