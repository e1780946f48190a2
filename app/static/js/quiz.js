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

  // Before submitting, warn when some questions are still unanswered (they count as wrong).
  form.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (submitter && submitter.value === "submit") {
      var unanswered = Array.prototype.filter.call(form.querySelectorAll("fieldset.question"), function (fieldset) {
        return !fieldset.querySelector("input:checked");
      });
      if (unanswered.length && !window.confirm(form.getAttribute("data-confirm-unanswered"))) {
        event.preventDefault();
        unanswered[0].scrollIntoView();
        return;
      }
    }
    submitting = true;  // the form post itself carries the answers
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
