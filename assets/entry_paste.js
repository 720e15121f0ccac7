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
