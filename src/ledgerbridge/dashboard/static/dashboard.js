/* The dashboard's own script, loaded from this server (the pages' CSP allows no inline
   script and no eval). It only adds conveniences: every page works without it.

   "Select all on this page" in the sync log: a checkbox marked data-select-all ticks or
   clears the form's record checkboxes (name="selected"), and shows whether all, some
   (mixed) or none of them are ticked. Elements marked data-needs-script stay hidden until
   this script runs, so nobody without it meets a checkbox that does nothing. */
(function () {
  "use strict";

  function records(form) {
    return Array.prototype.slice.call(
      form.querySelectorAll('input[type="checkbox"][name="selected"]')
    );
  }

  function showState(form) {
    var all = form.querySelector("input[data-select-all]");
    if (!all) {
      return;
    }
    var boxes = records(form);
    var ticked = boxes.filter(function (box) { return box.checked; }).length;
    all.checked = boxes.length > 0 && ticked === boxes.length;
    all.indeterminate = ticked > 0 && ticked < boxes.length;
  }

  function enable(root) {
    if (!root || !root.querySelectorAll) {
      return;
    }
    var found = Array.prototype.slice.call(root.querySelectorAll("[data-needs-script]"));
    if (root.matches && root.matches("[data-needs-script]")) {
      found.push(root);
    }
    found.forEach(function (element) { element.hidden = false; });
    Array.prototype.slice.call(root.querySelectorAll("input[data-select-all]")).forEach(
      function (all) { if (all.form) { showState(all.form); } }
    );
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLInputElement) || !target.form) {
      return;
    }
    if (target.hasAttribute("data-select-all")) {
      records(target.form).forEach(function (box) { box.checked = target.checked; });
      target.indeterminate = false;
    } else if (target.name === "selected") {
      showState(target.form);
    }
  });

  // content htmx swapped in (the log's results after filtering or a bulk action)
  document.addEventListener("htmx:load", function (event) { enable(event.target); });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { enable(document); });
  } else {
    enable(document);
  }
})();
