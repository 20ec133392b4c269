// Progressive enhancement: keep each offering's seat line current while the page is open.
// Without JavaScript the line shows the seats as they were when the page was loaded.
(function () {
  "use strict";
  var POLL_MILLISECONDS = 5000;

  function refresh(element) {
    var url = "/offerings/" + encodeURIComponent(element.dataset.seatsFor) + "/seats.json?capacity="
      + encodeURIComponent(element.dataset.capacity || "");
    fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) {
        if (answer && answer.text !== element.textContent.trim()) { element.textContent = answer.text; }
      })
      .catch(function () { /* offline for a moment: try again on the next tick */ });
  }

  function start() {
    var lines = document.querySelectorAll("[data-seats-for]");
    if (!lines.length) { return; }
    window.setInterval(function () {
      if (document.visibilityState === "visible") { lines.forEach(refresh); }
    }, POLL_MILLISECONDS);
  }

  document.addEventListener("DOMContentLoaded", start);
}());
