// Agent ticket page: insert a macro's text (as shown, and perhaps edited, in its preview) or an
// article link at the cursor of the reply box, after the draft, instead of reloading the page
// (which is what happens without JavaScript, and loses a draft).
(function () {
  "use strict";

  function insert(text) {
    var box = document.getElementById("id_body");
    var status = document.getElementById("reply-status");
    if (!box || !text) return;
    var start = box.selectionStart, end = box.selectionEnd, value = box.value;
    var before = value.slice(0, start), after = value.slice(end);
    var glue = before && !before.endsWith("\n") ? "\n\n" : "";
    box.value = before + glue + text + after;
    var caret = (before + glue + text).length;
    box.focus();
    box.setSelectionRange(caret, caret);
    if (status) status.textContent = status.dataset.inserted || "";
  }

  function fetchText(url) {
    return fetch(url, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : ""; });
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-insert-macro]");
    if (!link) return;
    var text = document.getElementById("macro-reply");
    if (!text) return;
    event.preventDefault();
    insert(text.value);
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-insert-article]");
    if (!link) return;
    event.preventDefault();
    fetchText(link.dataset.insertUrl + "?article=" + encodeURIComponent(link.dataset.insertArticle)).then(insert);
  });
})();
