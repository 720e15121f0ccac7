// When the session has ended, Dash's requests get 401: go to the sign-in page
// (and come back here afterwards) instead of leaving a page that silently stops updating.
// The answer's "reason" tells a sign-out (您已退出登录) from an expiry (登录已超时).
(function () {
  if (!window.fetch) { return; }
  var original = window.fetch;
  var leaving = false;
  window.fetch = function () {
    return original.apply(this, arguments).then(function (resp) {
      if (resp.status === 401 && !leaving && /\/_dash-|\/_reload-hash/.test(resp.url || '')) {
        leaving = true;
        var here = window.location.pathname + window.location.search;
        var go = function (reason) {
          var flag = reason === 'out' ? 'out=1' : 'expired=1';
          window.location.assign('/login?' + flag + '&next=' + encodeURIComponent(here));
        };
        resp.clone().json().then(function (body) { go(body && body.reason); }, function () { go(''); });
      }
      return resp;
    });
  };
})();
