// Live chats: the number of people waiting in the menu and the page title, and a chat's transcript, brought up
// to date as soon as the server says something changed (each request waits there until it does).
(function () {
  "use strict";
  var title = document.title;
  function wait(url, done) {
    fetch(url, { credentials: "same-origin", headers: { "X-Desk-Poll": "1" } }).then(function (response) {
      if (response.ok && !response.redirected) { return response.json(); }
      throw new Error("stopped");
    }).then(done).catch(function () { setTimeout(function () { done(null); }, 5000); });
  }
  var badge = document.getElementById("live-count");
  if (badge) {
    var seen = badge.getAttribute("data-count") || "";
    var look = function () {
      wait("/desk/live/waiting?seen=" + encodeURIComponent(seen), function (answer) {
        if (answer) {
          seen = String(answer.waiting);
          badge.textContent = answer.waiting > 0 ? seen : "";
          badge.className = answer.waiting > 0 ? "count alert" : "count";
          document.title = (answer.waiting > 0 ? "(" + seen + ") " : "") + title;
        }
        look();
      });
    };
    look();
  }
  var live = document.getElementById("live");
  var chat = live && live.getAttribute("data-chat");
  var list = live && !chat && live.getAttribute("data-live").indexOf("/desk/live?") === 0;
  function refresh(then) {
    fetch(live.getAttribute("data-live"), { credentials: "same-origin", headers: { "X-Desk-Poll": "1" } })
      .then(function (response) { return response.ok && !response.redirected ? response.text() : null; })
      .then(function (html) { if (html !== null) { live.innerHTML = html; } })
      .catch(function () {}).then(then);
  }
  var submitting = false;  // a form on its way: its answer replaces the page, a reload would cut it off
  document.addEventListener("submit", function () { submitting = true; });
  if (chat) {
    // The wait answers 204 when nothing changed, or the chat's changing part when something did.
    var follow = function () {
      var head = live.querySelector(".chat-head");
      var was = head.getAttribute("data-status");
      var url = "/desk/live/" + chat + "/wait?after=" + head.getAttribute("data-last") + "&status=" + was +
        "&state=" + head.getAttribute("data-state");
      fetch(url, { credentials: "same-origin", headers: { "X-Desk-Poll": "1" } }).then(function (response) {
        if (response.status === 204) { return ""; }
        if (response.ok && !response.redirected) { return response.text(); }
        throw new Error("stopped");
      }).then(function (html) {
        if (html) {
          live.innerHTML = html;
          var now = live.querySelector(".chat-head").getAttribute("data-status");
          if (now !== was && (was === "waiting" || now === "closed" || now === "missed")) {
            if (!submitting) { window.location.reload(); }  // the forms below depend on the status
            return;
          }
        }
        follow();
      }).catch(function () { setTimeout(function () { window.location.reload(); }, 5000); });
    };
    follow();
  } else if (list) {
    var again = function () {
      wait("/desk/live/waiting?seen=" + live.querySelector("[data-waiting]").getAttribute("data-waiting"),
        function () { refresh(again); });
    };
    again();
  }
})();
