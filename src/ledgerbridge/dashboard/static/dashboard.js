/* The dashboard's own script, loaded from this server (the pages' CSP allows no inline
   script and no eval). It only adds conveniences: every page works without it.

   "Select all on this page" in the sync log: a checkbox marked data-select-all ticks or
   clears the form's record checkboxes (name="selected"), and shows whether all, some
   (mixed) or none of them are ticked. Elements marked data-needs-script stay hidden until
   this script runs, so nobody without it meets a checkbox that does nothing.

   Ticks across pages in the sync log: the bulk form (data-selection) remembers its ticked
   records in sessionStorage, ticks them again when a page (or the page's live refresh)
   shows them, sends them all with Resync or Bypass, and says how many are ticked; "Clear
   ticks" forgets them. After a bulk action they are forgotten (the log then shows them).

   A page that asks again by itself (data-live) skips a refresh while someone types in one of
   its fields (the jump-to-page box, a select).

   Shorten on a record's page: picking a cut (keep the start, the end, both) puts exactly what
   it sends in the edit box; typing in the box picks "Type it yourself"; the hint under it
   counts the characters against QuickBooks' limit. Without the script the chosen cut is sent
   as it is, and the box only when "Type it yourself" is picked.

   Sign out keeps the page's address (filters, sort, page) as the next sign-in's next=, also
   after htmx changed the address. */
(function () {
  "use strict";

  function records(form) {
    return Array.prototype.slice.call(
      form.querySelectorAll('input[type="checkbox"][name="selected"]')
    );
  }

  function storeKey(form) {
    return "ledgerbridge:selected:" + form.getAttribute("data-selection");
  }

  function remembered(form) {
    if (!form.hasAttribute("data-selection")) {
      return [];
    }
    try {
      var found = JSON.parse(window.sessionStorage.getItem(storeKey(form)) || "[]");
      return Array.isArray(found) ? found : [];
    } catch (error) {
      return [];
    }
  }

  function remember(form, keys) {
    if (!form.hasAttribute("data-selection")) {
      return;
    }
    try {
      if (keys.length) {
        window.sessionStorage.setItem(storeKey(form), JSON.stringify(keys));
      } else {
        window.sessionStorage.removeItem(storeKey(form));
      }
    } catch (error) {
      /* storage refused (private mode): ticks stay on this page only */
    }
    showCount(form, keys);
  }

  function showCount(form, keys) {
    var count = document.getElementById("selection-count");
    var clear = document.getElementById("selection-clear");
    if (count) {
      count.textContent = keys.length ? keys.length + " ticked" +
        (keys.length > records(form).filter(function (box) { return box.checked; }).length
          ? ", some on other pages" : "") : "";
    }
    if (clear) {
      clear.hidden = !keys.length;
    }
  }

  function syncStored(form) {
    var keys = remembered(form);
    var shown = {};
    records(form).forEach(function (box) {
      shown[box.value] = true;
      if (box.checked && keys.indexOf(box.value) < 0) {
        keys.push(box.value);
      }
    });
    keys = keys.filter(function (key) {
      var box = form.querySelector('input[name="selected"][value="' + CSS.escape(key) + '"]');
      return !shown[key] || (box && box.checked);
    });
    remember(form, keys);
  }

  function restore(form) {
    var keys = remembered(form);
    records(form).forEach(function (box) {
      if (keys.indexOf(box.value) >= 0) {
        box.checked = true;
      }
    });
    showCount(form, keys);
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
    Array.prototype.slice.call(root.querySelectorAll("form.shorten-form")).forEach(countShortened);
    var forms = Array.prototype.slice.call(root.querySelectorAll("form[data-selection]"));
    if (root.matches && root.matches("form[data-selection]")) {
      forms.push(root);
    }
    forms.forEach(restore);
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
      syncStored(target.form);
    } else if (target.name === "selected") {
      showState(target.form);
      syncStored(target.form);
    }
  });

  function countShortened(form) {
    var box = form.querySelector('input[name="value"]');
    var hint = form.querySelector("#shorten-count");
    var limit = parseInt(form.getAttribute("data-limit") || "0", 10);
    if (!box || !hint || !limit) {
      return;
    }
    var length = box.value.trim().length;
    hint.textContent = length + " of at most " + limit + " characters" +
      (length > limit ? ": too long for QuickBooks." : ".") +
      " The app keeps its full text and is told what was sent.";
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLInputElement) || !target.form ||
        !target.form.classList.contains("shorten-form") || target.name !== "keep") {
      return;
    }
    var box = target.form.querySelector('input[name="value"]');
    if (box && target.hasAttribute("data-preview")) {
      box.value = target.getAttribute("data-preview");
    }
    countShortened(target.form);
  });

  document.addEventListener("input", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLInputElement) || !target.form ||
        !target.form.classList.contains("shorten-form") || target.name !== "value") {
      return;
    }
    var own = target.form.querySelector('input[name="keep"][value="edit"]');
    if (own) {
      own.checked = true;
    }
    countShortened(target.form);
  });

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target instanceof HTMLElement && target.id === "selection-clear") {
      var form = target.closest("form");
      if (form) {
        records(form).forEach(function (box) { box.checked = false; });
        remember(form, []);
        showState(form);
      }
    }
  });

  // the ticks of other pages go with the bulk action (htmx), then are forgotten
  document.addEventListener("htmx:configRequest", function (event) {
    var form = event.detail.elt;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-selection")) {
      return;
    }
    var keys = remembered(form);
    var sent = event.detail.parameters;
    var ticked = [].concat(sent.selected || []);
    keys.forEach(function (key) {
      if (ticked.indexOf(key) < 0) {
        ticked.push(key);
      }
    });
    if (ticked.length) {
      sent.selected = ticked;
    }
    remember(form, []);
  });

  // a page that asks again by itself (data-live: the log's results, a record's panel) waits
  // while someone types in one of its fields, so that the refresh never wipes what they type
  document.addEventListener("htmx:confirm", function (event) {
    var live = event.detail.elt;
    var typing = document.activeElement;
    if (!(live instanceof HTMLElement) || !live.hasAttribute("data-live") ||
        !(typing instanceof HTMLElement) || !live.contains(typing)) {
      return;
    }
    var field = typing instanceof HTMLSelectElement || typing instanceof HTMLTextAreaElement ||
      (typing instanceof HTMLInputElement && !/^(checkbox|radio|button|submit)$/.test(typing.type));
    if (field) {  // only the element's own poll comes here: its forms send their own requests
      event.preventDefault();
    }
  });

  // sign out from where the person is now (htmx may have changed the address)
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.hasAttribute("data-keeps-place")) {
      var next = form.querySelector('input[name="next"]');
      if (!next) {
        next = document.createElement("input");
        next.type = "hidden";
        next.name = "next";
        form.appendChild(next);
      }
      next.value = window.location.pathname + window.location.search;
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
