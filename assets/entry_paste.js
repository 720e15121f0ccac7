/* 数据填报: a column copied from Excel and pasted into one value input. A text input would
   join the lines into "12 142 30 41"; instead the block goes to the server (en-paste), which
   fills this row and the rows below (dashboard.entry_forms.distribute_paste) and checks each
   value on its own. A single value pastes as usual. */
(function () {
  document.addEventListener('paste', function (ev) {
    var el = ev.target;
    if (!el || el.tagName !== 'INPUT' || !el.id || el.id.indexOf('"entry-value"') < 0) { return; }
    var text = (ev.clipboardData || window.clipboardData).getData('text');
    // Only a block of several lines; Excel ends even one copied cell with a line break.
    if (!text || !/[\r\n]/.test(text.replace(/[\r\n]+$/, ''))) { return; }
    var id;
    try { id = JSON.parse(el.id); } catch (e) { return; }
    ev.preventDefault();
    if (window.dash_clientside && window.dash_clientside.set_props) {
      window.dash_clientside.set_props('en-paste', {data: {start: id.indicator, text: text, at: Date.now()}});
    }
  }, true);
})();

/* The sticky save bar (.entry-actions) covers the bottom of the window. scroll-padding keeps
   inputs that receive focus above it, but Chromium does not scroll an inline link (a row's
   "佐证材料" link) that is already inside the window: move any focused element of the form
   that the bar covers up above it. */
(function () {
  document.addEventListener('focusin', function (ev) {
    var el = ev.target, bar = document.querySelector('.entry-actions');
    if (!el || !bar || !el.closest || !el.closest('#en-form') || getComputedStyle(bar).position !== 'sticky') { return; }
    // After the browser's own scrolling for the focus, which comes after this event.
    window.requestAnimationFrame(function () {
      var box = (el.type === 'file' && el.parentElement ? el.parentElement : el).getBoundingClientRect();
      var top = bar.getBoundingClientRect().top;
      if (box.bottom > top - 4) { window.scrollBy(0, box.bottom - top + 12); }
    });
  });
})();
