/* Keyboard use of the review page: score keys, save-and-next, skip, "?" for help.
   The page works without it; this only adds shortcuts. Keys come from data attributes:
   data-key on a radio (select it) or checkbox (toggle it), data-cycle on a radio group
   (each press selects the next answer). */
(function () {
  "use strict";
  if (window.stoplineReviewKeys) return;
  window.stoplineReviewKeys = true;
  // Tests (and people) can see that the keys listen; no script needed to read an attribute.
  document.documentElement.dataset.reviewKeys = "ready";

  function isTyping(el) {
    if (!el) return false;
    if (el.tagName === "TEXTAREA" || el.isContentEditable) return true;
    return el.tagName === "INPUT" && !/^(radio|checkbox|button|submit)$/.test(el.type);
  }

  document.addEventListener("keydown", function (event) {
    var form = document.getElementById("rubric-form");
    if (!form) return;
    var help = document.getElementById("keys-help");
    var target = event.target;
    var saveNext = form.querySelector('button[value="save_next"]');

    if (event.key === "Escape") {
      if (help) help.hidden = true;
      if (isTyping(target)) target.blur();
      return;
    }
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      event.preventDefault();
      saveNext.click();
      return;
    }
    if (isTyping(target) || event.ctrlKey || event.metaKey || event.altKey) return;

    if (event.key === "?") {
      event.preventDefault();
      if (help) help.hidden = !help.hidden;
      return;
    }
    if (event.key === "Enter" && target.tagName !== "BUTTON" && target.tagName !== "A") {
      event.preventDefault();
      saveNext.click();
      return;
    }
    if (event.key === "s") {
      var reason = document.getElementById("skip-reason");
      if (reason) {
        event.preventDefault();
        reason.focus();
      }
      return;
    }
    var key = event.key.length === 1 ? event.key : "";
    if (!key) return;
    var radio = form.querySelector('input[type="radio"][data-key="' + key + '"]');
    if (radio) {
      event.preventDefault();
      radio.checked = true;
      radio.focus();
      return;
    }
    var group = form.querySelectorAll('input[type="radio"][data-cycle="' + key + '"]');
    if (group.length) {
      event.preventDefault();
      var index = -1;
      for (var i = 0; i < group.length; i++) if (group[i].checked) index = i;
      var next = group[(index + 1) % group.length];
      next.checked = true;
      next.focus();
      return;
    }
    var box = form.querySelector('input[type="checkbox"][data-key="' + key + '"]');
    if (box) {
      event.preventDefault();
      box.checked = !box.checked;
      box.focus();
    }
  });
})();
