// New ticket page: typing a new customer's name or address chooses "A new customer" (without
// JavaScript the agent picks it themselves; the form says which one it took).
(function () {
  "use strict";

  document.addEventListener("input", function (event) {
    var id = event.target && event.target.id;
    if (id !== "id_customer_name" && id !== "id_customer_email") return;
    var choice = document.getElementById("customer-new");
    if (choice && event.target.value) choice.checked = true;
  });
})();
