// Agent ticket page: tell the others on the ticket (workspace.presence) that this agent is
// typing a reply. While keys are pressed in the reply box, a ping goes at most every
// data-ping-seconds; the server forgets it a few seconds after the last one.
(function () {
  "use strict";

  var lastPing = 0;

  function csrfToken() {
    var field = document.querySelector("#reply input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  document.addEventListener("input", function (event) {
    if (!event.target || event.target.id !== "id_body") return;
    var presence = document.getElementById("presence");
    if (!presence || !presence.dataset.typingUrl) return;
    var every = (parseFloat(presence.dataset.pingSeconds) || 3) * 1000;
    var now = Date.now();
    if (now - lastPing < every) return;
    lastPing = now;
    fetch(presence.dataset.typingUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "X-Requested-With": "fetch" },
    }).catch(function () { /* presence is a hint; a lost ping only hides it for a moment */ });
  });
})();
