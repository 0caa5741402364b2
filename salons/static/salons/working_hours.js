// "Add a break" for the working-hours widget (salons/widgets/working_hours.html).
// The form works without this file: each day then shows one blank break row to fill.
"use strict";

(function () {
  function renumber(row, index) {
    for (const input of row.querySelectorAll("input")) {
      input.name = input.name.replace(/-break-\d+-/, "-break-" + index + "-");
      input.id = input.id.replace(/-break-\d+-/, "-break-" + index + "-");
      input.value = "";
    }
  }

  function addBreak(cell, blankTemplate) {
    const waiting = cell.querySelector(".wh-break.wh-blank:not(.wh-shown)");
    let row = waiting;
    if (!row) {
      const index = Number(cell.dataset.nextIndex);
      cell.dataset.nextIndex = String(index + 1);
      row = blankTemplate.cloneNode(true);
      renumber(row, index);
      cell.querySelector(".wh-add-break").before(row);
    }
    row.classList.add("wh-shown");
    row.querySelector("input").focus();
  }

  function dayRow(input) {
    return input.closest("tr.wh-day");
  }

  function setUp(widget) {
    widget.classList.add("wh-scripted");
    for (const cell of widget.querySelectorAll(".wh-breaks")) {
      const blank = cell.querySelector(".wh-break.wh-blank");
      const button = cell.querySelector(".wh-add-break");
      if (!blank || !button) continue;
      const template = blank.cloneNode(true);
      button.hidden = false;
      button.addEventListener("click", function () {
        addBreak(cell, template);
      });
    }
    // Typing hours into a day off means the master works that day.
    widget.addEventListener("change", function (event) {
      const input = event.target;
      if (!input.matches("input[type=time]") || !input.value) return;
      const enabled = dayRow(input).querySelector(".wh-enabled");
      if (enabled && !enabled.checked) enabled.checked = true;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    for (const widget of document.querySelectorAll(".working-hours")) setUp(widget);
  });
})();
