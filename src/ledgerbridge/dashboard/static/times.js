/* Times in the viewer's own time zone. The server writes each moment as
   <time datetime="2026-11-22T14:05:00+00:00" data-local-time>2026-11-22 14:05 UTC</time>:
   the UTC text stays when this script does not run; when it runs, the text becomes the
   browser's local time (with its zone's name) and the UTC value moves to the tooltip.
   Loaded from this server: the pages' CSP allows no inline script. */
(function () {
  "use strict";

  var format;
  try {
    format = new Intl.DateTimeFormat(undefined, {
      year: "numeric", month: "short", day: "numeric",
      hour: "2-digit", minute: "2-digit", timeZoneName: "short"
    });
  } catch (error) {
    return; // no Intl: the UTC text stays
  }

  function localise(root) {
    if (!root || !root.querySelectorAll) {
      return;
    }
    var found = Array.prototype.slice.call(root.querySelectorAll("time[data-local-time]"));
    if (root.matches && root.matches("time[data-local-time]")) {
      found.push(root);
    }
    found.forEach(function (element) {
      var moment = new Date(element.getAttribute("datetime"));
      if (isNaN(moment.getTime()) || element.hasAttribute("data-localised")) {
        return;
      }
      element.title = element.textContent.trim();
      element.textContent = format.format(moment);
      element.setAttribute("data-localised", "");
    });
  }

  document.addEventListener("htmx:load", function (event) { localise(event.target); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { localise(document); });
  } else {
    localise(document);
  }
})();
