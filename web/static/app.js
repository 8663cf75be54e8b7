// automl UI: small progressive enhancements. Every page works without this
// script; it adds drag and drop, live progress, client-side sorting and a
// copy button.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  autosubmit();
  dropZone();
  copyButtons();
  var table = document.getElementById("leaderboard");
  if (table) sortable(table);
  compareForm();
  explainJob();
  var live = document.getElementById("live");
  if (live && live.dataset.running === "true") follow(live, table);
});

// A select marked data-autosubmit submits its form when changed.
function autosubmit() {
  document.querySelectorAll("select[data-autosubmit]").forEach(function (sel) {
    sel.addEventListener("change", function () {
      if (sel.value || sel.dataset.autosubmit === "any") sel.form.requestSubmit();
    });
  });
}

// Dropping a file on the upload zone picks it and submits the form.
function dropZone() {
  var zone = document.getElementById("drop");
  var form = document.getElementById("upload-form");
  if (!zone || !form) return;
  var input = form.querySelector("input[type=file]");
  var status = document.getElementById("upload-status");
  ["dragenter", "dragover"].forEach(function (t) {
    zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (t) {
    zone.addEventListener(t, function () { zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (e) {
    e.preventDefault();
    if (!e.dataTransfer.files.length) return;
    input.files = e.dataTransfer.files;
    form.requestSubmit();
  });
  form.addEventListener("submit", function () {
    if (input.files.length) status.textContent = "Uploading " + input.files[0].name + "…";
  });
}

function copyButtons() {
  document.querySelectorAll("button[data-copy]").forEach(function (b) {
    b.addEventListener("click", function () {
      var field = document.getElementById(b.dataset.copy);
      var done = function () { b.textContent = "Copied"; setTimeout(function () { b.textContent = "Copy"; }, 1500); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () { field.select(); });
      } else {
        field.select();
        if (document.execCommand("copy")) done();
      }
    });
  });
}

// Column index of the heading whose link has data-key=key.
function columnOf(table, key) {
  var ths = table.tHead.rows[0].cells;
  for (var i = 0; i < ths.length; i++) {
    var a = ths[i].querySelector("a[data-key]");
    if (a && a.dataset.key === key) return i;
  }
  return -1;
}

function cellValue(row, i) {
  var v = row.cells[i] ? row.cells[i].dataset.v : "";
  return v === undefined || v === "" ? NaN : parseFloat(v);
}

// orderRows sorts the body by column i; missing values last, ties by trial.
function orderRows(table, i, desc) {
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  rows.sort(function (a, b) {
    var va = cellValue(a, i), vb = cellValue(b, i);
    if (isNaN(va) && isNaN(vb)) return a.dataset.id - b.dataset.id;
    if (isNaN(va)) return 1;
    if (isNaN(vb)) return -1;
    if (va === vb) return a.dataset.id - b.dataset.id;
    return (va < vb) !== desc ? -1 : 1;
  });
  rows.forEach(function (r) { body.appendChild(r); });
}

// rank numbers successful trials by the primary metric.
function rank(table) {
  var i = columnOf(table, table.dataset.primary);
  var higher = table.tHead.rows[0].cells[i].querySelector("a").dataset.higher === "true";
  var rows = Array.prototype.slice.call(table.tBodies[0].rows).filter(function (r) { return !isNaN(cellValue(r, i)); });
  rows.sort(function (a, b) {
    var va = cellValue(a, i), vb = cellValue(b, i);
    if (va === vb) return a.dataset.id - b.dataset.id;
    return (va > vb) === higher ? -1 : 1;
  });
  rows.forEach(function (r, k) { r.cells[0].textContent = k + 1; });
}

// sortable sorts the leaderboard in place when a heading is clicked (the
// links still work without the script: they ask the server to sort).
function sortable(table) {
  // A leaderboard cut to its top rows is sorted by the server, which sees
  // every trial: the heading links then simply load the sorted page.
  var head = table.tHead.rows[0];
  var sorted = head.querySelector("th[aria-sort]");
  table.dataset.sortKey = sorted ? sorted.querySelector("a").dataset.key : table.dataset.primary;
  table.dataset.sortDesc = sorted ? String(sorted.getAttribute("aria-sort") === "descending") : "true";
  head.querySelectorAll("a[data-key]").forEach(function (a) {
    a.addEventListener("click", function (e) {
      if (truncated(table)) return; // the server sorts every trial, then shows the top rows
      e.preventDefault();
      var key = a.dataset.key, desc;
      if (table.dataset.sortKey === key) desc = table.dataset.sortDesc !== "true";
      else desc = key !== "trial" && key !== "fit" && a.dataset.higher === "true";
      table.dataset.sortKey = key;
      table.dataset.sortDesc = String(desc);
      head.querySelectorAll("th").forEach(function (th) { th.removeAttribute("aria-sort"); });
      a.parentNode.setAttribute("aria-sort", desc ? "descending" : "ascending");
      orderRows(table, columnOf(table, key), desc);
      var url = new URL(a.href);
      url.searchParams.set("dir", desc ? "desc" : "asc");
      history.replaceState(null, "", url);
    });
  });
}

// truncated is true when the leaderboard shows only its top rows.
function truncated(table) {
  var limit = parseInt(table.dataset.limit, 10), total = document.getElementById("total");
  return limit > 0 && total && parseInt(total.textContent, 10) > limit;
}

function resort(table) {
  var key = table.dataset.sortKey || table.dataset.primary;
  var desc = table.dataset.sortDesc ? table.dataset.sortDesc === "true" : true;
  orderRows(table, columnOf(table, key), desc);
  if (!table.dataset.family) rank(table); // a filtered table keeps the ranks among all trials
  var limit = parseInt(table.dataset.limit, 10);
  if (limit > 0) {
    var body = table.tBodies[0];
    while (body.rows.length > limit) body.deleteRow(body.rows.length - 1);
  }
}

// follow listens to the experiment's event stream: new trials join the
// leaderboard and the chart; the page reloads when the search ends.
function follow(live, table) {
  var deadline = parseInt(live.dataset.deadline, 10);
  var left = document.getElementById("left");
  var timer = null;
  if (deadline > 0 && left) {
    var tick = function () {
      var s = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      left.textContent = s >= 120 ? Math.floor(s / 60) + " min " + (s % 60) + " s" : s + " s";
    };
    tick();
    timer = setInterval(tick, 1000);
  }
  var chart = document.getElementById("chart");
  // Every scored trial as [finish time, score]: trials arrive in ID order,
  // not in the order they finished, so the line is recomputed from all.
  var points = chart ? JSON.parse(chart.dataset.points || "[]") || [] : [];
  var higher = live.dataset.higher === "true";
  var budget = parseFloat(live.dataset.budget) || 0;
  var es = new EventSource(live.dataset.events);
  es.addEventListener("trial", function (e) {
    var ev = JSON.parse(e.data);
    document.getElementById("done").textContent = ev.done;
    document.getElementById("failed").textContent = ev.failed;
    var total = document.getElementById("total");
    if (table && (!table.dataset.family || table.dataset.family === ev.family) && total) {
      total.textContent = parseInt(total.textContent, 10) + 1;
      document.querySelectorAll(".total").forEach(function (e) { e.textContent = total.textContent; });
      if (truncated(table)) document.getElementById("show-all").hidden = false;
    }
    if (table && (!table.dataset.family || table.dataset.family === ev.family) && !table.querySelector('tr[data-id="' + ev.id + '"]')) {
      var tmp = document.createElement("tbody");
      tmp.innerHTML = ev.html;
      table.tBodies[0].appendChild(tmp.rows[0]);
      var none = document.getElementById("no-trials");
      if (none) none.remove();
      resort(table);
    }
    if (chart && ev.score !== null) {
      points.push([ev.offset, ev.score]);
      draw(chart, bestSoFar(points, higher), budget);
    }
  });
  es.addEventListener("phase", function (e) {
    var ev = JSON.parse(e.data);
    var p = document.getElementById("phase");
    if (p) p.textContent = ev.label;
    if (ev.phase !== "search") {
      // The finishing step runs within the same budget: the time left keeps counting.
      var b = document.getElementById("stop");
      if (b) b.textContent = "Skip the rest";
    }
  });
  es.addEventListener("end", function (e) {
    es.close();
    if (timer) clearInterval(timer);
    var ev = JSON.parse(e.data);
    var st = document.getElementById("status");
    st.textContent = ev.status;
    st.className = "status " + ev.status;
    setTimeout(function () { location.reload(); }, 300);
  });
}

function fmt(v) { return v.toFixed(4); }

// bestSoFar orders [finish time, score] pairs by finish time (ties keep
// their order) and returns the best score after each: it never gets worse.
function bestSoFar(pts, higher) {
  var sorted = pts.map(function (p, i) { return [p[0], p[1], i]; });
  sorted.sort(function (a, b) { return a[0] - b[0] || a[2] - b[2]; });
  var out = [];
  sorted.forEach(function (p, i) {
    var best = p[1];
    if (i > 0) {
      var prev = out[i - 1][1];
      if (higher ? prev > best : prev < best) best = prev;
    }
    out.push([p[0], best]);
  });
  return out;
}

function fmtSeconds(s) {
  if (s < 10) return s.toFixed(2) + " s";
  if (s < 120) return s.toFixed(0) + " s";
  var m = Math.floor(s / 60), r = Math.round(s % 60);
  return Math.floor(m / 60) > 0 ? Math.floor(m / 60) + "h" + (m % 60) + "m" + r + "s" : m + "m" + r + "s";
}

// draw redraws the best-score chart; the scaling matches chart.go. The
// series drawn is kept in the SVG's data-best for tests and scripts.
function draw(svg, pts, budget) {
  var W = 900, H = 200, P = 8;
  var xmax = budget, ymin = Infinity, ymax = -Infinity;
  pts.forEach(function (p) { xmax = Math.max(xmax, p[0]); ymin = Math.min(ymin, p[1]); ymax = Math.max(ymax, p[1]); });
  if (xmax <= 0) xmax = 1;
  if (ymax - ymin < 1e-9) { ymin -= 0.01; ymax += 0.01; }
  var x = function (t) { return P + (W - 2 * P) * t / xmax; };
  var y = function (s) { return H - P - (H - 2 * P) * (s - ymin) / (ymax - ymin); };
  // Only the points where the best changes, and the last (as chart.go).
  var st = pts.filter(function (p, i) { return i === 0 || i === pts.length - 1 || p[1] !== pts[i - 1][1]; });
  var out = [];
  st.forEach(function (p, i) {
    if (i > 0) out.push(x(p[0]).toFixed(1) + "," + y(st[i - 1][1]).toFixed(1));
    out.push(x(p[0]).toFixed(1) + "," + y(p[1]).toFixed(1));
  });
  svg.dataset.best = JSON.stringify(pts);
  document.getElementById("chart-line").setAttribute("points", out.join(" "));
  document.getElementById("chart-ymin").textContent = fmt(ymin);
  document.getElementById("chart-ymax").textContent = fmt(ymax);
  document.getElementById("chart-xmax").textContent = fmtSeconds(xmax);
  var empty = document.getElementById("chart-empty");
  if (empty) empty.remove();
}

// compareForm checks that two to four trials are ticked before comparing.
function compareForm() {
  var form = document.getElementById("compare-form");
  if (!form) return;
  form.addEventListener("submit", function (e) {
    var n = document.querySelectorAll('input[form="compare-form"][name=t]:checked').length;
    var hint = form.querySelector(".hint");
    if (n < 2 || n > 4) {
      e.preventDefault();
      if (hint) { hint.textContent = "Tick two to four trials (" + n + " ticked)."; hint.classList.add("error"); }
    }
  });
}

// explainJob follows a running explanation job on a trial page and
// reloads the page when it ends, to show the plots (or the error).
function explainJob() {
  var box = document.getElementById("explain-job");
  if (!box || !document.getElementById("explain-progress")) return;
  var label = document.getElementById("explain-label");
  var secs = document.getElementById("explain-seconds");
  var tick = function () {
    fetch(box.dataset.status, { headers: { Accept: "application/json" } }).then(function (r) { return r.json(); }).then(function (st) {
      if (st.state === "done" || st.state === "failed" || st.state === "") { location.reload(); return; }
      label.textContent = st.label;
      secs.textContent = Math.round(st.seconds);
      setTimeout(tick, 1000);
    }, function () { setTimeout(tick, 3000); });
  };
  setTimeout(tick, 1000);
}
