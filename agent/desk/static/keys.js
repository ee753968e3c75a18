// The desk from the keyboard: j / k next and previous, a approve, r reject, e edit, Enter open.
// Keys are ignored while typing in a field. Forms are the same ones a mouse submits.
// Speed-to-lead clocks keep running: the server says how long the lead had waited when it drew the
// page (by the agent's clock); the page adds the time since.
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
  function waited(seconds) {
    if (seconds < 60) { return seconds + " s"; }
    if (seconds < 3600) { return Math.floor(seconds / 60) + " min " + (seconds % 60) + " s"; }
    return Math.floor(seconds / 3600) + " h " + Math.floor((seconds % 3600) / 60) + " min";
  }
  function runClocks() {
    var clocks = document.querySelectorAll("[data-waited]");
    if (!clocks.length) { return; }
    var drawn = Date.now();
    window.setInterval(function () {
      var since = Math.floor((Date.now() - drawn) / 1000);
      clocks.forEach(function (clock) {
        clock.textContent = waited(parseInt(clock.dataset.waited, 10) + since);
      });
    }, 1000);
  }
  document.addEventListener("DOMContentLoaded", function () {
    runClocks();
    var table = document.querySelector("[data-keys=queue]");
    var handle = table ? queueKeys(table) : document.querySelector("[data-keys=item]") ? itemKeys() : null;
    if (!handle) { return; }
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
      if (handle(event.key)) { event.preventDefault(); }
    });
  });
})();
