// Keeps "In progress" activity and the counts current without a page reload: while any item is
// ongoing, re-fetch the page every two seconds and swap those parts in. Right after the merchant
// started something (the page carries data-expect-work), keep looking for up to a minute: the job's
// activity only appears once a worker picks it up.
(function () {
  const live = document.querySelector("[data-live-activity]");
  if (!live) return;
  let expectUntil = live.getAttribute("data-expect-work") === "1" ? Date.now() + 60000 : 0;
  async function refresh() {
    const ongoing = live.querySelector('[data-status="ongoing"]');
    if (ongoing) expectUntil = 0;  // seen it start: from now on, follow it until it ends
    if (!ongoing && Date.now() > expectUntil) return;
    try {
      const response = await fetch(window.location.pathname + window.location.search, { headers: { "Accept": "text/html" } });
      if (!response.ok) return;
      const doc = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = doc.querySelector("[data-live-activity]");
      if (fresh) live.innerHTML = fresh.innerHTML;
      document.querySelectorAll("[data-live-counts]").forEach(function (box) {
        const other = doc.querySelector('[data-live-counts="' + box.getAttribute("data-live-counts") + '"]');
        if (other) box.innerHTML = other.innerHTML;
      });
    } finally {
      setTimeout(refresh, 2000);
    }
  }
  setTimeout(refresh, 2000);
})();

// Forms that change a lot at once ask first; then the button shows the request is on its way.
document.addEventListener("submit", function (event) {
  const form = event.target;
  const question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) { event.preventDefault(); return; }
  const button = event.submitter || form.querySelector("button[type=submit], button:not([type])");
  if (button && form.method.toLowerCase() === "post") {
    button.setAttribute("aria-busy", "true");
    // Disabled after the submit event, so the button's own name/value still goes with the form.
    setTimeout(function () { button.disabled = true; }, 0);
  }
});

// "Select all on this page" for bulk actions.
document.addEventListener("change", function (event) {
  const name = event.target.getAttribute("data-check-all");
  if (!name) return;
  document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (box) {
    box.checked = event.target.checked;
  });
});

// Template form: the live count of products the conditions select.
(function () {
  const form = document.querySelector("[data-rule-form]");
  if (!form) return;
  const output = document.querySelector("[data-live-count]");
  const csrf = document.querySelector("main").getAttribute("data-csrf");
  let timer = null;
  let latest = 0;  // answers can arrive out of order: only the newest request's answer is shown
  function rules() {
    return Array.from(form.querySelectorAll("[data-rule]")).map(function (row) {
      const value = row.querySelector("[name=rule_value]").value;
      return { field: row.querySelector("[name=rule_field]").value,
               operator: row.querySelector("[name=rule_operator]").value, value: value };
    }).filter(function (rule) { return rule.value.trim() !== ""; });
  }
  async function count() {
    const match = (form.querySelector("[name=match]:checked") || form.querySelector("[name=match]")).value;
    const request = ++latest;
    output.textContent = "Counting…";
    try {
      const response = await fetch("/api/v1/templates/count", {
        method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ match: match, rules: rules() }) });
      const body = await response.json();
      if (request !== latest) return;
      output.textContent = response.ok ? body.count + (body.count === 1 ? " product matches" : " products match") : "Check the conditions: " + (body.detail || "not valid");
    } catch (error) {
      if (request === latest) output.textContent = "The count is unavailable; check your connection.";
    }
  }
  form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(count, 300); });
  form.addEventListener("change", function () { clearTimeout(timer); timer = setTimeout(count, 100); });
  count();
})();
