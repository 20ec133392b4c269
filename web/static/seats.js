// Progressive enhancement: keep each offering's seat line, and its reserved pools' lines, current while the
// page is open. Without JavaScript the lines show the seats as they were when the page was loaded.
(function () {
  "use strict";
  var POLL_MILLISECONDS = 5000;

  // The pools' lines as the server words them ([{institution, text}]); a released pool's line goes.
  function showPools(offeringId, pools) {
    var box = document.querySelector("[data-pools-for=\"" + CSS.escape(offeringId) + "\"]");
    if (!box) { return; }
    var shown = Array.prototype.map.call(box.children, function (line) {
      return line.dataset.pool + "\n" + line.textContent.trim();
    });
    var wanted = pools.map(function (pool) { return pool.institution + "\n" + pool.text; });
    if (shown.join("\n\n") === wanted.join("\n\n")) { return; }  // unchanged: leave the live region quiet
    box.replaceChildren.apply(box, pools.map(function (pool) {
      var line = document.createElement("p");
      line.className = "seats-pool";
      line.dataset.pool = pool.institution;
      line.textContent = pool.text;
      return line;
    }));
  }

  function refresh(element) {
    var url = "/offerings/" + encodeURIComponent(element.dataset.seatsFor) + "/seats.json?capacity="
      + encodeURIComponent(element.dataset.capacity || "");
    fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) {
        if (!answer) { return; }
        if (answer.text !== element.textContent.trim()) { element.textContent = answer.text; }
        showPools(element.dataset.seatsFor, answer.pools || []);
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
