// The pages' only script: live progress of a solve job, and a copy button for the feed link.
(function () {
  "use strict";
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var field = document.querySelector(button.dataset.copy);
      field.select();
      if (navigator.clipboard) navigator.clipboard.writeText(field.value);
      button.textContent = "Gekopieerd";
    });
  });
  // Job page: ask the JSON API once a second until the job has ended.
  var root = document.querySelector("[data-job]");
  if (!root) return;
  var stages = JSON.parse(root.dataset.stages), statuses = JSON.parse(root.dataset.statuses);
  var levels = JSON.parse(root.dataset.levels);
  var FINAL = ["done", "stopped", "failed", "cancelled"];
  function num(v) { return v == null ? "\u2014" : String(Math.round(v)).replace(/\B(?=(\d{3})+(?!\d))/g, " "); }
  function dec(v, digits) { return v.toFixed(digits).replace(".", ","); }
  function set(name, text) { var el = root.querySelector('[data-field="' + name + '"]'); if (el) el.textContent = text; }
  function show(job) {
    var p = job.progress || {};
    set("status", statuses[job.status] || job.status);
    set("stage", stages[p.stage] || p.stage || "\u2014");
    set("incumbent", num((p.objective || {}).planned_priority));
    set("bound", num((p.bound || {}).planned_priority));
    set("gap", p.gap == null ? "\u2014" : dec(100 * p.gap, 2) + " %");
    set("elapsed", dec(p.elapsed || 0, 1) + " s");
    if (p.proven) set("proven", p.proven.map(function (k) { return levels[k] || k; }).join(", ") || "geen niveau");
    var restricted = root.querySelector('[data-field="restricted"]');
    if (restricted && p.restrictions && p.restrictions.length) {
      restricted.textContent = "Beperkt model (programmaschaal): " + p.restrictions.join("; ") +
        ". Niets hiervan heet bewezen optimaal; de bovengrens geldt voor het hele scenario.";
      restricted.hidden = false;
    }
    set("message", job.message || "");
    var notice = root.querySelector('[data-field="worker-notice"]');
    if (notice) { notice.textContent = job.worker_notice || ""; notice.hidden = !job.worker_notice; }
    var queued = root.querySelector('[data-field="queue-notice"]');
    if (queued) { queued.textContent = job.queue_notice || ""; queued.hidden = !job.queue_notice; }
    root.dataset.status = job.status;
    if (FINAL.indexOf(job.status) < 0) return false;
    var link = root.querySelector("[data-plan-link]");
    if (job.plan_id && link) { link.href = "/plans/" + job.plan_id; link.hidden = false; }
    var stop = root.querySelector("[data-stop]");
    if (stop) stop.hidden = true;
    return true;
  }
  function poll() {
    fetch("/api/jobs/" + root.dataset.job, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
      .then(function (job) { if (!show(job)) setTimeout(poll, 1000); })
      .catch(function () { setTimeout(poll, 3000); });  // a hiccup: try again a little later
  }
  if (FINAL.indexOf(root.dataset.status) < 0) setTimeout(poll, 1000);
})();
