// The desk from the keyboard: j / k next and previous, a approve, r reject, e edit, Enter open.
// Keys are ignored while typing in a field. Forms are the same ones a mouse submits.
(function () {
  "use strict";
  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }
  function queueKeys(table) {
    var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr"));
    var at = -1;
    function select(i) {
      if (!rows.length) { return; }
      if (at >= 0) { rows[at].classList.remove("current"); }
      at = Math.max(0, Math.min(rows.length - 1, i));
      rows[at].classList.add("current");
      rows[at].querySelector("a").focus();
    }
    return function (key) {
      if (key === "j") { select(at + 1); return true; }
      if (key === "k") { select(at - 1); return true; }
      if (key === "Enter" && at >= 0) { window.location.href = rows[at].dataset.href; return true; }
      return false;
    };
  }
  function itemKeys() {
    function go(id) {
      var link = document.getElementById(id);
      if (link) { window.location.href = link.href; }
      return true;
    }
    function focus(id) {
      var field = document.getElementById(id);
      if (field) { field.focus(); }
      return true;
    }
    return function (key) {
      if (key === "j") { return go("next"); }
      if (key === "k") { return go("prev"); }
      if (key === "a") {
        var form = document.getElementById("approve-form");
        if (form) { form.requestSubmit(); }
        return true;
      }
      if (key === "r") { return focus("reason"); }
      if (key === "e") { return focus("edit-body"); }
      return false;
    };
  }
  document.addEventListener("DOMContentLoaded", function () {
    var table = document.querySelector("[data-keys=queue]");
    var handle = table ? queueKeys(table) : document.querySelector("[data-keys=item]") ? itemKeys() : null;
    if (!handle) { return; }
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
      if (handle(event.key)) { event.preventDefault(); }
    });
  });
})();
