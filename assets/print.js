/* Print (Ctrl+P, 打印): charts are drawn at the screen's width in pixels, wider than an A4 page;
   scale each one to fit the page (width and height) for the printout and back afterwards.
   CSS zoom scales plotly's stacked SVG layers together and applies at once, before the print
   layout is taken (a relayout would finish too late). Page box: app.css @page, A4 with 14 mm / 12 mm
   margins: 186 mm x 269 mm, in CSS px less a little room for the section heading. */
(function () {
  var PAGE_W = 186 / 25.4 * 96 - 16, PAGE_H = 269 / 25.4 * 96 - 60;  // room for a label past the plot

  function fit() {
    document.querySelectorAll('.dash-graph').forEach(function (g) {
      var box = g.getBoundingClientRect();
      if (!box.width || !box.height) { return; }
      var ratio = Math.min(PAGE_W / box.width, PAGE_H / box.height, 1);
      if (ratio < 1) { g.style.zoom = String(ratio); g.setAttribute('data-print-zoom', '1'); }
    });
  }

  function restore() {
    document.querySelectorAll('[data-print-zoom]').forEach(function (g) {
      g.style.zoom = ''; g.removeAttribute('data-print-zoom');
    });
  }

  window.addEventListener('beforeprint', fit);
  window.addEventListener('afterprint', restore);
})();
