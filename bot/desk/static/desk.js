// Keeps open desk pages current without reloading: every few seconds the part of the page marked data-live is
// fetched again and replaced when it changed. Forms outside it (a note being written) are never touched.
(function () {
  "use strict";
  var live = document.getElementById("live");
  var seconds = parseInt(document.body.getAttribute("data-poll") || "0", 10);
  if (live && seconds > 0) {
    var source = live.getAttribute("data-live");
    var url = source + (source.indexOf("?") >= 0 ? "&" : "?") + "partial=1";
    var busy = false;
    setInterval(function () {
      if (busy || document.hidden) { return; }
      busy = true;
      fetch(url, { credentials: "same-origin", headers: { "X-Desk-Poll": "1" } }).then(function (response) {
        if (response.ok && !response.redirected) { return response.text(); }
        return null;
      }).then(function (html) {
        if (html !== null && html.trim() !== live.innerHTML.trim()) {
          var focused = document.activeElement;
          if (!(focused && live.contains(focused))) { live.innerHTML = html; }
        }
      }).catch(function () {}).then(function () { busy = false; });
    }, seconds * 1000);
  }
})();
