// Queue page: the bulk bar's selection. Without JavaScript the rows' checkboxes and "select
// all that match" work as plain form fields; this adds "select all on this page", the count
// selected, the offer of every matching ticket once the whole page is ticked (as Gmail and
// Zendesk do), and keeps the queue's 30-second refresh from wiping a selection.
(function () {
  "use strict";

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll('input[name="ticket"][form="bulk-form"]'));
  }

  function sync() {
    var page = document.getElementById("bulk-page");
    var all = document.getElementById("bulk-scope-all");
    var offer = document.getElementById("bulk-all");
    var count = document.querySelector("[data-bulk-selected]");
    var boxes = rows();
    var ticked = boxes.filter(function (box) { return box.checked; }).length;
    var whole = boxes.length > 0 && ticked === boxes.length;
    if (page) {
      page.checked = whole;
      page.indeterminate = ticked > 0 && !whole;
    }
    if (offer && all) {
      offer.hidden = !whole;
      if (!whole) all.checked = false;
    }
    if (count) count.textContent = all && all.checked ? all.dataset.count : String(ticked);
    var changes = document.getElementById("bulk-changes");
    if (changes && ticked > 0 && !changes.dataset.opened) {
      changes.open = true;
      changes.dataset.opened = "1";  // opened once: the agent may close it again
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (!document.getElementById("bulk-form")) return;
    document.querySelectorAll("[data-bulk-js]").forEach(function (element) { element.hidden = false; });
    sync();
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.id === "bulk-page") {
      rows().forEach(function (box) { box.checked = target.checked; });
    }
    if (target.id === "bulk-page" || target.id === "bulk-scope-all" || target.getAttribute("form") === "bulk-form") {
      sync();
    }
  });

  // The queue's refresh would replace the rows, ticks and all: skipped while any is ticked.
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.target.id === "queue" && rows().some(function (box) { return box.checked; })) {
      event.preventDefault();
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.target.id === "queue") sync();
  });
})();
