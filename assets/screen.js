/* 数据大屏 (dashboard/screen/page.py): show the next indicator page on every tick of the
   clientside timer; no request to the server. Pages are .screen-page blocks of the
   server-rendered screen; the index shown is returned into the body's data-page. */
window.dash_clientside = window.dash_clientside || {};
window.dash_clientside.monitorScreen = {
  cycle: function (n, bodyId) {
    var body = document.getElementById(bodyId);
    var pages = body ? body.querySelectorAll(".screen-page") : [];
    if (pages.length < 2) return window.dash_clientside.no_update;
    var shown = (n || 0) % pages.length;
    for (var i = 0; i < pages.length; i++) pages[i].hidden = i !== shown;
    return String(shown);
  }
};
