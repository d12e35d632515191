// Sorting and filtering for the report's tables (no network, no libraries). The page stays
// readable without it: the tables come in a sensible order already.
(function () {
  "use strict";
  var each = function (list, f) { Array.prototype.forEach.call(list, f); };
  // A cell's sort key: its data-sort attribute (numbers, severity ranks) or its text.
  var key = function (cell) {
    var v = cell ? cell.getAttribute("data-sort") : "";
    return v === null ? cell.textContent.trim() : v;
  };
  var isNumber = function (s) { return s !== "" && !isNaN(Number(s)); };
  each(document.querySelectorAll("table.sortable"), function (table) {
    var heads = table.tHead.rows[0].cells;
    each(heads, function (th, col) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      button.textContent = th.textContent;
      th.textContent = "";
      th.appendChild(button);
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        each(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var keys = rows.map(function (r) { return key(r.cells[col]); });
        var numeric = keys.every(isNumber);
        var order = rows.map(function (r, i) { return i; });
        order.sort(function (a, b) {
          var c = numeric ? Number(keys[a]) - Number(keys[b]) : keys[a].localeCompare(keys[b]);
          // Ties keep the page's order, so sorting is stable and repeatable.
          return (ascending ? c : -c) || a - b;
        });
        order.forEach(function (i) { body.appendChild(rows[i]); });
      });
    });
  });
  each(document.querySelectorAll("input[data-table]"), function (input) {
    var table = document.getElementById(input.getAttribute("data-table"));
    var count = document.getElementById(input.getAttribute("data-table") + "-count");
    input.addEventListener("input", function () {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      var rows = table.tBodies[0].rows;
      var shown = 0;
      each(rows, function (row) {
        var text = row.textContent.toLowerCase();
        var hit = words.every(function (w) { return text.indexOf(w) >= 0; });
        row.hidden = !hit;
        if (hit) { shown += 1; }
      });
      count.textContent = words.length ? shown + " of " + rows.length + " rows" : "";
    });
  });
})();
