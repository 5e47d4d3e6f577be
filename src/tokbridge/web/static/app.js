// Keeps "In progress" activity current without a page reload: while any item is ongoing,
// re-fetch the page fragment every two seconds and swap the list in.
(function () {
  const live = document.querySelector("[data-live-activity]");
  if (!live) return;
  async function refresh() {
    if (!live.querySelector('[data-status="ongoing"]')) return;
    try {
      const response = await fetch(window.location.pathname, { headers: { "Accept": "text/html" } });
      if (!response.ok) return;
      const doc = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = doc.querySelector("[data-live-activity]");
      if (fresh) live.innerHTML = fresh.innerHTML;
    } finally {
      setTimeout(refresh, 2000);
    }
  }
  setTimeout(refresh, 2000);
})();

// Forms that change a lot at once ask first.
document.addEventListener("submit", function (event) {
  const question = event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) event.preventDefault();
});
