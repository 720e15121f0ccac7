// When the session has expired, Dash's requests get 401: go to the sign-in page
// (and come back here afterwards) instead of leaving a page that silently stops updating.
(function () {
  if (!window.fetch) { return; }
  var original = window.fetch;
  var leaving = false;
  window.fetch = function () {
    return original.apply(this, arguments).then(function (resp) {
      if (resp.status === 401 && !leaving && /\/_dash-|\/_reload-hash/.test(resp.url || '')) {
        leaving = true;
        var here = window.location.pathname + window.location.search;
        window.location.assign('/login?expired=1&next=' + encodeURIComponent(here));
      }
      return resp;
    });
  };
})();
