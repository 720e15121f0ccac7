/* Server-rendered HTML blocks (dashboard/markup.py) and the page's top bar. A container carries its HTML in
   the attribute data-html (a Dash prop, so callbacks can update it); this script puts
   it inside as soon as React adds or changes the element, and makes in-app links in
   it navigate like dcc.Link (history.pushState + Dash's location event, no reload);
   navigation-bar links (data-nav) get the class "active" on the current page and keep the
   current scheme, region and quarter (data-keep).
   The HTML is built and escaped on the server; nothing here interprets user text. */
(function () {
  function navigate(event) {
    // In-app links of the server-rendered blocks, and the links in data grids (dashboard/grid.py).
    var a = event.target.closest ? event.target.closest("a[data-dash-link], .monitor-grid a[href^='/']") : null;
    if (!a || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    // The top bar is in the page before Dash has drawn it (#page): until then, a plain page load.
    if (!document.getElementById("page")) return;
    if (a.target && a.target !== "_self") return;
    event.preventDefault();
    window.history.pushState({}, "", a.getAttribute("href"));
    window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
    window.scrollTo(0, 0);
  }

  // The navigation bar's links (data-nav: the page's path) show the current page, as
  // dbc.NavLink active="exact" did, and carry the keys of the current query that their
  // page reads (data-keep, e.g. "scheme region q"), so the menu keeps the chosen view.
  function navHref(a) {
    var here = new URLSearchParams(window.location.search), out = new URLSearchParams();
    (a.getAttribute("data-keep") || "").split(" ").forEach(function (k) {
      if (k && here.get(k)) out.set(k, here.get(k));
    });
    var query = out.toString();
    return a.getAttribute("data-nav") + (query ? "?" + query : "");
  }

  function markNav() {
    var links = document.querySelectorAll("a[data-nav]");
    for (var i = 0; i < links.length; i++) {
      links[i].classList.toggle("active", links[i].getAttribute("data-nav") === window.location.pathname);
      links[i].setAttribute("href", navHref(links[i]));
    }
  }

  // The phone menu (dashboard/markup.navbar): the toggler opens and closes the folded links;
  // following a link closes it again, so the new page is not hidden behind the menu.
  function toggleMenu(event) {
    var button = event.target.closest ? event.target.closest("[data-nav-toggle]") : null;
    var open = document.querySelector(".navbar-collapse.show");
    if (button) {
      var panel = document.getElementById(button.getAttribute("aria-controls"));
      if (!panel) return;
      var show = !panel.classList.contains("show");
      panel.classList.toggle("show", show);
      button.setAttribute("aria-expanded", show ? "true" : "false");
    } else if (open && event.target.closest && event.target.closest("a[data-nav]")) {
      open.classList.remove("show");
      var t = document.querySelector("[data-nav-toggle]");
      if (t) t.setAttribute("aria-expanded", "false");
    }
  }
  document.addEventListener("click", toggleMenu);
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest(".monitor-grid")) navigate(event);
  });

  function fill(el) {
    var html = el.getAttribute("data-html");
    if (html === null || el.__monitorHtml === html) return;
    el.innerHTML = html;
    el.__monitorHtml = html;
    if (!el.__monitorLinks) { el.addEventListener("click", navigate); el.__monitorLinks = true; }
    if (el.querySelector("a[data-nav]")) markNav();
  }

  function scan(root) {
    if (root.nodeType !== 1) return;
    if (root.hasAttribute("data-html")) fill(root);
    var found = root.querySelectorAll("[data-html]");
    for (var i = 0; i < found.length; i++) fill(found[i]);
  }

  new MutationObserver(function (mutations) {
    for (var i = 0; i < mutations.length; i++) {
      var m = mutations[i];
      if (m.type === "attributes") { fill(m.target); continue; }
      for (var j = 0; j < m.addedNodes.length; j++) scan(m.addedNodes[j]);
    }
  }).observe(document, {childList: true, subtree: true, attributes: true, attributeFilter: ["data-html"]});
  if (document.body) scan(document.body);
  // The top bar is written into the page by the server (dashboard/factory.py, _page_frame).
  var header = document.querySelector("header.app-header");
  if (header) { header.addEventListener("click", navigate); markNav(); }
  window.addEventListener("_dashprivate_pushstate", markNav);
  window.addEventListener("popstate", markNav);
})();
