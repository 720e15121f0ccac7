/* Component libraries loaded on first use (dashboard/shell.py). The shell leaves their
   bundle out and writes <template data-lazy-namespace="ns" data-src="bundle URL">; here
   window[ns] is a stand-in whose components load the bundle the first time a page draws
   one, then draw the real component with the same props. The stand-in stays in place
   (the bundle's own window[ns] is kept aside), so React never swaps the component type
   under a mounted grid. dash-renderer holds callbacks aimed at a component until its
   _dashprivate_isLazyComponentReady promise resolves, as for Dash's own lazy components. */
(function () {
  var markers = document.querySelectorAll("template[data-lazy-namespace]");
  Array.prototype.forEach.call(markers, function (marker) {
    var ns = marker.getAttribute("data-lazy-namespace"), src = marker.getAttribute("data-src");
    var real = null, loading = null, types = {}, stand;

    function load() {
      if (!loading) {
        loading = new Promise(function (resolve, reject) {
          var script = document.createElement("script");
          script.src = src;
          script.onload = function () {
            real = window[ns];
            window[ns] = stand;
            Object.keys(types).forEach(function (t) { copyStatics(types[t], real[t]); });
            resolve(real);
          };
          script.onerror = function () { loading = null; reject(new Error(ns + ": " + src)); };
          document.head.appendChild(script);
        });
      }
      return loading;
    }

    function copyStatics(lazy, component) {
      // defaultProps (persistence), propTypes: what dash-renderer reads from a component.
      if (!component) return;
      ["defaultProps", "propTypes", "dashPersistence", "dashChildrenUpdate"].forEach(function (k) {
        if (component[k] !== undefined) lazy[k] = component[k];
      });
    }

    function component(type) {
      if (types[type]) return types[type];
      var React = window.React;
      function Lazy(props) {
        var state = React.useState(real), loaded = state[0], setLoaded = state[1];
        React.useEffect(function () {
          var live = true;
          if (!loaded) load().then(function (r) { if (live) setLoaded(r); });
          return function () { live = false; };
        }, []);
        if (loaded && loaded[type]) return React.createElement(loaded[type], props);
        // Until the bundle has run: an empty box of the component's class and style.
        return React.createElement("div", {className: props.className, style: props.style});
      }
      Lazy.displayName = "Lazy(" + ns + "." + type + ")";
      Object.defineProperty(Lazy, "_dashprivate_isLazyComponentReady", {
        configurable: true,
        get: function () {
          if (real) return real[type] ? real[type]._dashprivate_isLazyComponentReady : undefined;
          return load().then(function (r) { return r[type] && r[type]._dashprivate_isLazyComponentReady; });
        }
      });
      types[type] = Lazy;
      return Lazy;
    }

    // Anything else asked of the namespace (e.g. dash_ag_grid.getApi) is the bundle's, once loaded.
    // (Proxy: every browser the shell supports has it, docs/deploy.md "Browsers".)
    stand = new Proxy({}, {
      get: function (target, key) {
        if (typeof key !== "string") return undefined;
        if (/^[A-Z]/.test(key)) return component(key);
        return real ? real[key] : undefined;
      }
    });
    window[ns] = stand;
  });
})();
