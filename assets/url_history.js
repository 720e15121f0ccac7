/* The pages keep their selection (scheme, region, quarter) in the address so that it can be
   shared; dcc.Location writes it with history.pushState. When a push only fills in the query of
   an address that had none (the first view of a page opened from the menu or as "/"), it is the
   same view, not a new step: replace the entry instead, so that Back leaves the page rather than
   showing it again. Changing a selector afterwards still adds a step, as before. */
(function () {
  var push = window.history.pushState;
  window.history.pushState = function (state, title, url) {
    if (url != null && !window.location.search) {
      var next = new URL(String(url), window.location.href);
      if (next.search && next.pathname === window.location.pathname && next.hash === window.location.hash) {
        return window.history.replaceState(state, title, url);
      }
    }
    return push.apply(window.history, arguments);
  };
})();
