// Saves quiz answers in the background as the learner goes (the page works without this script:
// the "save" button does the same with a normal form post).
//
// Every background save sends the whole form (csrf_token, asked, q<item id>) plus `revision`, a number
// that grows with each save; the server stores a save only when its revision is newer than the one it
// holds, so a slow save arriving late never overwrites a newer one. When the page is hidden or left,
// unsaved changes go with navigator.sendBeacon, so an answer clicked just before leaving is kept.
(function () {
  "use strict";
  var form = document.getElementById("quiz-form");
  var status = document.getElementById("save-status");
  if (!form || !window.FormData) { return; }
  var url = form.getAttribute("data-autosave");
  var revision = parseInt(form.getAttribute("data-revision"), 10) || 0;
  var timer = null;
  var dirty = false;
  var submitting = false;

  function payload() {
    var data = new FormData(form);
    data.delete("action");
    revision += 1;
    data.set("revision", String(revision));
    return data;
  }

  function save() {
    window.clearTimeout(timer);
    if (!window.fetch) { return; }
    dirty = false;
    fetch(url, { method: "POST", body: payload(), credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      })
      .then(function (result) {
        if (result.ok && result.body.saved) {
          status.textContent = status.getAttribute("data-saved");
        } else if (result.body && result.body.reason === "stale") {
          return;  // a newer save of this page is already stored
        } else if (result.body && result.body.redirect) {
          window.location.assign(result.body.redirect);
        } else {
          dirty = true;
          status.textContent = status.getAttribute("data-failed");
        }
      })
      .catch(function () {
        dirty = true;
        status.textContent = status.getAttribute("data-failed");
      });
  }

  function saveBeforeLeaving() {
    if (!dirty || submitting) { return; }
    window.clearTimeout(timer);
    if (navigator.sendBeacon && navigator.sendBeacon(url, payload())) {
      dirty = false;
    } else {
      save();
    }
  }

  // Enter on a choice would save and reload the page (it never submits): with the script, it does nothing.
  form.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.tagName === "INPUT") { event.preventDefault(); }
  });

  // Saving or going to the review page posts the whole form: nothing is left to send on leaving.
  form.addEventListener("submit", function () {
    submitting = true;
    window.clearTimeout(timer);
  });

  form.addEventListener("change", function () {
    dirty = true;
    window.clearTimeout(timer);
    timer = window.setTimeout(save, 600);
  });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { saveBeforeLeaving(); }
  });
  window.addEventListener("pagehide", saveBeforeLeaving);
})();

// The review page is the confirmation step before submitting (it works without this script); when
// questions are unanswered, this asks once more. Timed attempts get a countdown next to the deadline
// (the server enforces the deadline either way).
(function () {
  "use strict";

  function confirmSubmit() {
    var form = document.getElementById("submit-form");
    if (!form) { return; }
    form.addEventListener("submit", function (event) {
      var unanswered = parseInt(form.getAttribute("data-unanswered"), 10) || 0;
      if (unanswered > 0 && !window.confirm(form.getAttribute("data-confirm"))) {
        event.preventDefault();
      }
    });
  }

  function countdown() {
    var box = document.getElementById("deadline");
    var clock = document.getElementById("countdown");
    var alert = document.getElementById("countdown-alert");
    if (!box || !clock) { return; }
    var deadline = Date.parse(box.getAttribute("data-deadline"));
    var serverNow = Date.parse(box.getAttribute("data-now"));
    if (isNaN(deadline) || isNaN(serverNow)) { return; }
    var skew = serverNow - Date.now();  // the server's clock decides; the learner's may be off
    var announced = {};

    function format(seconds) {
      var h = Math.floor(seconds / 3600);
      var m = Math.floor((seconds % 3600) / 60);
      var s = seconds % 60;
      var mm = (h && m < 10 ? "0" : "") + m;
      return (h ? h + ":" : "") + mm + ":" + (s < 10 ? "0" : "") + s;
    }

    function tick() {
      var left = Math.max(0, Math.round((deadline - (Date.now() + skew)) / 1000));
      if (left === 0) {
        clock.textContent = box.getAttribute("data-over");
        window.clearInterval(timer);
        return;
      }
      clock.textContent = box.getAttribute("data-label").replace("{time}", format(left));
      // Screen readers hear the time at a few moments only, not every second.
      [300, 60].forEach(function (mark) {
        if (left <= mark && !announced[mark] && alert) {
          announced[mark] = true;
          alert.textContent = box.getAttribute("data-warning").replace("{time}", format(left));
        }
      });
    }

    clock.hidden = false;
    var timer = window.setInterval(tick, 1000);
    tick();
  }

  confirmSubmit();
  countdown();
})();
