// Saves quiz answers in the background as the learner goes (the page works without this script:
// the "save" button does the same with a normal form post).
(function () {
  "use strict";
  var form = document.getElementById("quiz-form");
  var status = document.getElementById("save-status");
  if (!form || !window.fetch || !window.FormData) { return; }
  var url = form.getAttribute("data-autosave");
  var timer = null;

  function save() {
    var data = new FormData(form);
    data.delete("action");
    fetch(url, { method: "POST", body: data, credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      })
      .then(function (result) {
        if (result.ok && result.body.saved) {
          status.textContent = status.getAttribute("data-saved");
        } else if (result.body && result.body.redirect) {
          window.location.assign(result.body.redirect);
        } else {
          status.textContent = status.getAttribute("data-failed");
        }
      })
      .catch(function () { status.textContent = status.getAttribute("data-failed"); });
  }

  // Before submitting, warn when some questions are still unanswered (they count as wrong).
  form.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (!submitter || submitter.value !== "submit") { return; }
    var unanswered = Array.prototype.filter.call(form.querySelectorAll("fieldset.question"), function (fieldset) {
      return !fieldset.querySelector("input:checked");
    });
    if (unanswered.length && !window.confirm(form.getAttribute("data-confirm-unanswered"))) {
      event.preventDefault();
      unanswered[0].scrollIntoView();
    }
  });

  form.addEventListener("change", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(save, 600);
  });
})();
