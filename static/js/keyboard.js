// Agents' keyboard shortcuts (issue 24, point 7), on every page of the workspace. The keys and
// what they do are listed in templates/_keyboard_help.html, which also holds every text this
// script shows (translated there, none here).
//
// j / k move along a list of tickets (the queue's rows, which carry data-ticket-id and
// data-ticket-url); on a ticket page they open the next / previous ticket of the list the agent
// came from, which the list page remembers in sessionStorage (per browser tab). The other keys
// act on the ticket page's forms and the queue's search box. Keys are left alone while a text
// field has the focus (Esc leaves it) and with Ctrl, Alt or Meta held, so typing and the
// browser's own shortcuts are never taken over.
(function () {
  "use strict";

  var LIST_KEY = "helpdesk.ticket-list";
  var SEARCH_KEY = "helpdesk.focus-search";
  var help = document.getElementById("keyboard-help");
  if (!help) return;
  var status = document.getElementById("keyboard-status");
  var statusTimer = null;
  var waitingForG = false;
  var gTimer = null;
  var focusBeforeHelp = null;

  // Inputs that take no text: a checkbox (the queue's bulk selection, say) must not swallow j.
  var NOT_TEXT = ["checkbox", "radio", "button", "submit", "reset", "file", "image", "range", "color"];

  function typingIn(element) {
    if (!element || element === document.body) return false;
    if (element.isContentEditable) return true;
    var tag = element.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") return true;
    return tag === "INPUT" && NOT_TEXT.indexOf((element.type || "").toLowerCase()) === -1;
  }

  // The letter keys by their place, too: with a Russian layout the j key types "о", and an agent
  // should not have to switch layouts to move on.
  function keyOf(event) {
    var key = event.key;
    if (key.length === 1 && key.charCodeAt(0) > 127 && !event.shiftKey && /^Key[A-Z]$/.test(event.code)) {
      return event.code.slice(3).toLowerCase();
    }
    return key;
  }

  function announce(text) {
    if (!status || !text) return;
    status.textContent = text;
    clearTimeout(statusTimer);
    statusTimer = setTimeout(function () { status.textContent = ""; }, 5000);
  }

  function storage() {
    try { return window.sessionStorage; } catch (error) { return null; }  // storage refused
  }

  function readList() {
    var store = storage();
    if (!store) return null;
    try {
      var list = JSON.parse(store.getItem(LIST_KEY) || "null");
      return list && Array.isArray(list.tickets) ? list : null;
    } catch (error) {
      return null;
    }
  }

  function writeList(list) {
    var store = storage();
    if (store) {
      try { store.setItem(LIST_KEY, JSON.stringify(list)); } catch (error) { /* full: no memory */ }
    }
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("tr[data-ticket-id]"));
  }

  function currentRow() {
    var focused = document.activeElement && document.activeElement.closest
      ? document.activeElement.closest("tr[data-ticket-id]") : null;
    return focused || document.querySelector("tr[data-ticket-id].keyboard-current");
  }

  function here() {
    return location.pathname + location.search;
  }

  // The list page remembers its tickets (in their order) and its own address.
  function rememberList() {
    var list = rows();
    if (!list.length) return;
    var previous = readList();
    writeList({
      url: here(),
      tickets: list.map(function (row) { return { id: row.dataset.ticketId, url: row.dataset.ticketUrl }; }),
      current: previous && previous.url === here() ? previous.current : null,
    });
  }

  function mark(row, focus) {
    rows().forEach(function (other) { other.classList.remove("keyboard-current"); });
    if (!row) return;
    row.classList.add("keyboard-current");
    row.tabIndex = -1;
    if (focus) {
      row.focus();
      row.scrollIntoView({ block: "nearest" });
    }
  }

  function moveInList(step) {
    var list = rows();
    var index = list.indexOf(currentRow());
    var next = index === -1 ? (step > 0 ? 0 : list.length - 1) : index + step;
    if (next < 0 || next >= list.length) {
      announce(help.dataset[step > 0 ? "lastRow" : "firstRow"]);
      return;
    }
    mark(list[next], true);
  }

  function openRow(row) {
    if (row && row.dataset.ticketUrl) location.assign(row.dataset.ticketUrl);
  }

  function indexInList(list) {
    if (!list) return -1;
    for (var i = 0; i < list.tickets.length; i++) {
      if (list.tickets[i].url === location.pathname) return i;
    }
    return -1;
  }

  function moveBetweenTickets(step) {
    var list = readList();
    var index = indexInList(list);
    if (index === -1) {
      announce(help.dataset.noList);
      return;
    }
    var next = list.tickets[index + step];
    if (!next) {
      announce(help.dataset[step > 0 ? "noNext" : "noPrevious"]);
      return;
    }
    location.assign(next.url);
  }

  function move(step) {
    if (rows().length) moveInList(step);
    else moveBetweenTickets(step);
  }

  function queueUrl() {
    var list = readList();
    return list ? list.url : help.dataset.queueUrl;
  }

  function toQueue() {
    var url = queueUrl();
    if (url !== here()) location.assign(url);
  }

  function searchBox() {
    return document.querySelector("form[role=search] input[type=search], form[role=search] input[name=q]");
  }

  function search() {
    var box = searchBox();
    if (box) {
      box.focus();
      box.select();
      return;
    }
    var store = storage();
    try { if (store) store.setItem(SEARCH_KEY, "1"); } catch (error) { /* the queue opens unfocused */ }
    location.assign(queueUrl());
  }

  function write(internal) {
    var box = document.querySelector("#reply textarea[name=body]");
    if (!box) {
      announce(help.dataset.unavailable);
      return;
    }
    var toggle = box.form.querySelector("input[name=internal]");
    if (toggle && toggle.checked !== internal) {
      toggle.checked = internal;
      toggle.dispatchEvent(new Event("change", { bubbles: true }));
    }
    box.focus();
  }

  function take() {
    var button = document.querySelector("button[name=agent][value=me]");
    if (button) button.click();
    else announce(document.querySelector("#assign-agent") ? help.dataset.alreadyYours : help.dataset.unavailable);
  }

  function changeStatus() {
    var select = document.querySelector("#id_status");
    if (select) select.focus();
    else announce(help.dataset.unavailable);
  }

  function openHelp() {
    if (help.open) return;
    focusBeforeHelp = document.activeElement;
    help.showModal();
  }

  help.addEventListener("close", function () {
    var back = focusBeforeHelp;
    focusBeforeHelp = null;
    if (back && back !== document.body && document.contains(back)) back.focus();
  });
  // A click on the backdrop (outside the dialog's box) closes it too.
  help.addEventListener("click", function (event) {
    if (event.target !== help) return;
    var box = help.getBoundingClientRect();
    var inside = event.clientX >= box.left && event.clientX <= box.right && event.clientY >= box.top && event.clientY <= box.bottom;
    if (!inside) help.close();
  });

  var actions = {
    j: function () { move(1); },
    k: function () { move(-1); },
    o: function () { openRow(currentRow()); },
    r: function () { write(false); },
    n: function () { write(true); },
    t: take,
    s: changeStatus,
    "/": search,
    u: toQueue,
    "?": openHelp,
  };

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.isComposing || help.open) return;  // the open dialog handles Esc itself
    if (event.ctrlKey || event.altKey || event.metaKey) return;
    var target = event.target;
    if (typingIn(target)) {
      if (event.key === "Escape") target.blur();
      return;
    }
    var key = keyOf(event);
    if (key === "Enter") {
      // Only a row that has the focus itself; a focused link or button does its own Enter.
      if (target.matches && target.matches("tr[data-ticket-id]")) {
        event.preventDefault();
        openRow(target);
      }
      return;
    }
    if (waitingForG) {
      waitingForG = false;
      clearTimeout(gTimer);
      if (key === "q") {
        event.preventDefault();
        toQueue();
        return;
      }
    }
    if (key === "g") {
      waitingForG = true;
      gTimer = setTimeout(function () { waitingForG = false; }, 1500);
      return;
    }
    var action = actions[key];
    if (!action) return;
    event.preventDefault();  // "/" would otherwise open the browser's quick find
    action();
  });

  // The queue refreshes its table every 30 seconds (htmx): keep the chosen row, and the focus
  // if it was on the table, instead of dropping it on the page's body.
  var kept = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var row = currentRow();
    kept = row && event.detail.target.contains(row)
      ? { id: row.dataset.ticketId, focused: event.detail.target.contains(document.activeElement) }
      : null;
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    if (!event.detail.target.querySelector("tr[data-ticket-id]")) return;
    rememberList();
    if (!kept) return;
    var row = event.detail.target.querySelector('tr[data-ticket-id="' + kept.id + '"]');
    if (row) {
      mark(row, false);
      if (kept.focused) row.focus({ preventScroll: true });
    }
    kept = null;
  });

  // On this page: show the help button, remember the list, or mark the ticket this is.
  Array.prototype.forEach.call(document.querySelectorAll("[data-keyboard-help]"), function (button) {
    button.hidden = false;
    button.addEventListener("click", openHelp);
  });
  rememberList();
  var list = readList();
  if (rows().length) {
    if (list && list.current) {
      // Back from a ticket: its row is the chosen one, so j goes on from there.
      var back = document.querySelector('tr[data-ticket-id="' + list.current + '"]');
      if (back) mark(back, false);
    }
  } else if (indexInList(list) !== -1) {
    list.current = list.tickets[indexInList(list)].id;
    writeList(list);
  }
  var store = storage();
  if (store && store.getItem(SEARCH_KEY)) {
    store.removeItem(SEARCH_KEY);
    var box = searchBox();
    if (box) box.focus();
  }
})();
