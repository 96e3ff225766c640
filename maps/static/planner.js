/* The planner's page of geo_ntm: the controls, the map (Leaflet, served by the service itself;
   the communes drawn from the service's vector tiles by Leaflet.VectorGrid once their boundaries
   are generalised, else from the GeoJSON of /map/data, and coloured here by its figures), its
   legend, a commune's profile, the table with its summaries, two years compared, the PNG
   export and printing. It opens on the whole country (provinces coloured by their communes);
   a click drills to a province (its districts where the boundaries have them), a district, its
   communes; the breadcrumbs and the browser's back button climb, and the URL restores the view.
   Every figure comes from the service's JSON endpoints and every text from the page's options
   (Vietnamese or English); nothing is loaded from the internet unless the office set its own
   basemap (GEO_NTM_BASEMAP_URL). */
(function () {
  "use strict";

  var options = JSON.parse(document.getElementById("ntm-options").textContent);
  var T = options.texts;
  var url = new URLSearchParams(location.search);
  var state = fromURL(url);
  state.province = options.province || "";
  state.year = String(options.year || "");
  state.vintage = options.vintage || "";
  // A district or province map colours by the unit's own status (these measures) or by its
  // communes (options.aggregate_measures), without a comparison; the whole country by its communes.
  var TIER_MEASURES = ["level", "criteria_met"];
  var crumbs = document.getElementById("crumbs");
  var form = document.getElementById("controls");
  var statusBox = document.getElementById("status");
  var tableView = document.getElementById("table-view");
  var profileBox = document.getElementById("profile");
  var checksBox = document.getElementById("data-checks");
  var progressBox = document.getElementById("progress");
  var views = {};  // "main" (the year chosen) and "other" (the year compared, side by side)
  var current = {main: null, other: null, summary: null};
  var drawnScope = "";
  var sort = {key: "name", dir: 1};
  var generation = 0;  // answers to an older state are dropped

  // -- helpers ------------------------------------------------------------------------------
  function fromURL(q) {
    return {
      province: q.get("province") || "", district: q.get("district") || "", year: q.get("year") || "",
      vintage: q.get("vintage") || "", rule: q.get("rule") || "", measure: q.get("measure") || "",
      scheme: q.get("scheme") || "", classes: q.get("classes") || "5", mode: q.get("mode") || "none",
      compare: q.get("compare") || "", view: q.get("view") || "map", tier: q.get("tier") || "commune",
      group: q.get("group") || ""
    };
  }

  function national() { return !state.province; }

  function isAggregate(id) { return (options.aggregate_measures || []).some(function (m) { return m.id === id; }); }

  // Provinces or districts coloured by their communes: a click drills into them.
  function aggregateView() { return national() || (state.tier !== "commune" && isAggregate(state.measure)); }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { node.textContent = attrs[k]; } else if (attrs[k] !== null && attrs[k] !== undefined) { node.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { if (c) { node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); } });
    return node;
  }

  function query(extra) {
    var q = new URLSearchParams();
    var all = Object.assign({province: state.province, district: state.district, year: state.year,
      vintage: state.vintage, rule: state.vintage ? state.rule : "", measure: state.measure,
      scheme: state.scheme, classes: state.classes, lang: options.lang,
      tier: state.tier === "commune" ? "" : state.tier, group: state.tier === "commune" ? state.group : ""}, extra || {});
    Object.keys(all).forEach(function (k) { if (all[k] !== "" && all[k] !== null && all[k] !== undefined) { q.set(k, all[k]); } });
    return q;
  }

  function getJSON(path, q) {
    return fetch(path + "?" + q.toString(), {headers: {Accept: "application/json"}}).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) { throw new Error(body.description || r.statusText); }
        if (r.status === 202) {  // computed by a background job: follow it, then ask again (stored by then)
          return waitForJob(r.headers.get("Location") || body.url, body).then(function () { return getJSON(path, q); });
        }
        return body;
      });
    });
  }

  function waitForJob(jobUrl, job) {
    computing(job);
    if (job.state === "done") { return Promise.resolve(); }
    if (job.state === "failed") { return Promise.reject(new Error(job.error ? job.error.description : T.job_failed)); }
    return new Promise(function (resolve) { setTimeout(resolve, 1000); }).then(function () {
      return fetch(jobUrl, {headers: {Accept: "application/json"}}).then(function (r) {
        return r.json().then(function (body) {
          if (!r.ok) { throw new Error(body.description || r.statusText); }
          return waitForJob(jobUrl, body);
        });
      });
    });
  }

  function computing(job) {
    var pct = Math.round(100 * job.progress.fraction);
    document.body.dataset.state = "computing";
    statusBox.className = "computing";
    statusBox.textContent = T.computing + " " + pct + "%";
    statusBox.appendChild(el("progress", {max: "100", value: String(pct), title: job.progress.message}));
  }

  function busy(text) {
    document.body.dataset.state = text ? "error" : "loading";
    statusBox.textContent = text ? T.error + ": " + text : T.loading;
    statusBox.className = text ? "error" : "";
  }

  function ready() {
    document.body.dataset.state = "ready";
    statusBox.textContent = "";
    statusBox.className = "";
  }

  function levelLabel(level) { return level ? options.levels[level] : T.not_reached; }

  function groupLabel(n) { return n ? T.group_n.replace("{n}", n) : "–"; }

  function percent(share) { return share === null || share === undefined ? "–" : Math.round(100 * share) + "%"; }

  function metText(p) {
    return p.criteria_met === null || p.criteria_met === undefined ? "–" : p.criteria_met + (p.criteria_total ? "/" + p.criteria_total : "");
  }

  // -- controls -----------------------------------------------------------------------------
  function select(name, label, choices, value) {
    var box = el("select", {name: name, id: "ctl-" + name});
    var groups = {};
    choices.forEach(function (c) {
      var option = el("option", {value: c.value, text: c.label});
      if (String(c.value) === String(value)) { option.selected = true; }
      if (c.group) {
        if (!groups[c.group]) { groups[c.group] = box.appendChild(el("optgroup", {label: c.group})); }
        groups[c.group].appendChild(option);
      } else {
        box.appendChild(option);
      }
    });
    return el("label", {"for": "ctl-" + name}, [label + " ", box]);
  }

  function measureInfo() {
    var all = options.measures.concat(options.aggregate_measures || []);
    return all.filter(function (m) { return m.id === state.measure; })[0] || options.measures[0];
  }

  // The measures the view offers: of communes, or of districts and provinces (their own status
  // and their communes'), or of the country's provinces (their communes').
  function offered() {
    var aggregates = options.aggregate_measures || [];
    if (national()) { return aggregates; }
    if (state.tier === "commune") { return options.measures; }
    return options.measures.filter(function (m) { return TIER_MEASURES.indexOf(m.id) >= 0; }).concat(aggregates);
  }

  // The place the options answered for: on other boundaries the province holding the largest part
  // of the one shown before (its code differs); a district those boundaries lack is dropped.
  function adopt() {
    state.province = options.province || "";
    var known = options.districts.some(function (d) { return d.code === state.district; });
    if (!known) { state.district = ""; }
    if (!options.has_districts && state.tier === "district") { state.tier = "commune"; }
    if (options.groups.indexOf(Number(state.group)) < 0) { state.group = ""; }
  }

  function renderControls() {
    if (options.carried) { state.tier = "commune"; }
    if (national()) { state.tier = "province"; state.district = ""; }
    var ids = offered().map(function (m) { return m.id; });
    if (ids.indexOf(state.measure) < 0) {
      var fallback = state.tier === "commune" ? "criteria_met" : "";  // else the first by their communes
      state.measure = ids.indexOf(fallback) >= 0 ? fallback : ids[0] || "criteria_met";
    }
    if (state.tier !== "commune") { state.mode = "none"; }
    var measure = measureInfo();
    state.measure = measure.id;
    if (measure.schemes.indexOf(state.scheme) < 0) { state.scheme = measure.schemes[0]; }
    if (!state.compare) {
      var earlier = options.data_years.filter(function (y) { return y < Number(state.year); });
      state.compare = String(earlier.length ? earlier[earlier.length - 1] : Number(state.year) - 1);
    }
    var years = options.years.map(function (y) {
      return {value: y, label: options.data_years.indexOf(y) >= 0 ? y + " (" + T.has_data + ")" : String(y)};
    });
    var fields = [
      select("province", T.province, [{value: "", label: T.national}].concat(options.provinces.map(function (p) {
        return {value: p.code, label: p.name + (p.has_data ? " (" + T.has_data + ")" : "")};
      })), state.province),
      options.has_districts && !national() ? select("district", T.district, [{value: "", label: T.whole}].concat(options.districts.map(function (d) {
        return {value: d.code, label: d.name};
      })), state.district) : null,
      select("year", T.year, years, state.year),
      select("vintage", T.boundaries, [{value: "", label: T.of_year}].concat(options.vintages.map(function (v) {
        return {value: v.id, label: v.name};
      })), state.vintage),
      options.carried ? select("rule", T.rule, options.rules.map(function (r) { return {value: r, label: r}; }), state.rule || "all") : null,
      options.carried || national() ? null : select("tier", T.tier, ["commune", "district", "province"].filter(function (t) {
        return options.has_districts || t !== "district";
      }).map(function (t) {
        return {value: t, label: T["tier_" + t]};
      }), state.tier),
      options.groups.length && state.tier === "commune" ? select("group", T.ntm_group, [{value: "", label: T.group_all}]
        .concat(options.groups.map(function (n) { return {value: String(n), label: groupLabel(n)}; })), state.group) : null,
      select("measure", T.measure, offered().map(function (m) {
        return {value: m.id, label: m.label, group: m.group};
      }), state.measure),
      select("scheme", T.scheme, options.schemes.filter(function (s) { return measure.schemes.indexOf(s.id) >= 0; })
        .map(function (s) { return {value: s.id, label: s.label}; }), state.scheme),
      state.scheme !== "standard" ? select("classes", T.classes, options.class_counts.map(function (n) {
        return {value: n, label: String(n)};
      }), state.classes) : null,
      state.tier === "commune" ? select("mode", T.compare, [{value: "none", label: T.compare_none},
        {value: "side", label: T.compare_side}, {value: "change", label: T.compare_change}], state.mode) : null,
      state.mode !== "none" ? select("compare", T.compare_year, years, state.compare) : null,
      select("view", T.view_map + " / " + T.view_table, [{value: "map", label: T.view_map}, {value: "table", label: T.view_table}], state.view),
      el("a", {id: "export", "class": "button", href: "#", download: ""}, [T.export]),
      el("button", {id: "print", type: "button"}, [T.print])
    ];
    form.replaceChildren.apply(form, fields.filter(Boolean));
    document.getElementById("print").addEventListener("click", function () { window.print(); });
    renderCrumbs();
  }

  // -- drill-down: Cả nước > Tỉnh X > Huyện Y --------------------------------------------------
  function nameOf(list, code) { return (list.filter(function (u) { return u.code === code; })[0] || {name: code}).name; }

  function renderCrumbs() {
    var steps = [{label: T.national, to: {province: "", district: ""}}];
    if (!national()) {
      steps.push({label: nameOf(options.provinces, state.province), to: {province: state.province, district: ""}});
    }
    if (state.district) { steps.push({label: nameOf(options.districts, state.district), to: {}}); }
    var items = steps.map(function (step, i) {
      var last = i === steps.length - 1;
      var node = last ? el("span", {"aria-current": "page", text: step.label})
        : el("button", {type: "button", "class": "link", text: step.label});
      if (!last) { node.addEventListener("click", function () { climb(step.to); }); }
      return el("li", {}, [node]);
    });
    crumbs.replaceChildren(el("ol", {}, items));
  }

  // The province (or the whole country, province ""): its districts by their communes where the
  // boundaries have districts, else its communes.
  function climb(to) {
    var next = Object.assign({}, state, {district: to.district || "", province: to.province});
    if (to.province) { next.tier = options.has_districts ? "district" : "commune"; }
    if (next.tier === "district" && !isAggregate(next.measure)) { next.measure = ""; }
    go(next);
  }

  // A click on a unit of a map of provinces or districts by their communes.
  function drill(code) {
    if (national()) {
      var next = Object.assign({}, state, {province: code, district: "", group: ""});
      go(Object.assign(next, {tier: "district"}));
    } else if (state.tier === "district") {
      go(Object.assign({}, state, {district: code, tier: "commune", measure: ""}));
    }
  }

  // Show ``next`` as a new entry of the browser's history (its back button climbs back).
  function go(next) {
    var province = next.province !== state.province;
    state = next;
    busy();
    generation += 1;
    var place = province ? getJSON("/map/options", new URLSearchParams({province: state.province, year: state.year,
      vintage: state.vintage, lang: options.lang})) : Promise.resolve(options);
    place.then(function (fresh) {
      options = fresh;
      adopt();  // a province of boundaries without districts shows its communes
      renderControls();
      history.pushState(null, "", "?" + pageQuery().toString());
      refresh();
    }).catch(function (e) { busy(e.message); });
  }

  // The browser's back and forward buttons: the view of that URL, exactly.
  window.addEventListener("popstate", function () {
    var wanted = fromURL(new URLSearchParams(location.search));
    busy();
    generation += 1;
    getJSON("/map/options", new URLSearchParams({province: wanted.province, year: wanted.year, vintage: wanted.vintage, lang: options.lang}))
      .then(function (fresh) {
        options = fresh;
        state = wanted;
        state.year = String(options.year);
        adopt();
        renderControls();
        refresh();
      }).catch(function (e) { busy(e.message); });
  });

  form.addEventListener("change", function (event) {
    var name = event.target.name;
    state[name] = event.target.value;
    if (name === "province") { state.district = ""; state.tier = "commune"; }
    if (name === "province" || name === "year" || name === "vintage") {
      busy();
      generation += 1;
      getJSON("/map/options", new URLSearchParams({province: state.province, year: state.year, vintage: state.vintage, lang: options.lang}))
        .then(function (fresh) { options = fresh; adopt(); renderControls(); refresh(); })
        .catch(function (e) { busy(e.message); });
      return;
    }
    renderControls();
    refresh();
  });

  // -- maps ---------------------------------------------------------------------------------
  function makeView(id) {
    var map = L.map(id, {zoomSnap: 0.25, zoomControl: false, attributionControl: true});
    L.control.zoom({position: "topright"}).addTo(map);
    map.attributionControl.setPrefix(false);
    L.control.scale({imperial: false, position: "bottomright"}).addTo(map);
    var view = {map: map, layer: null, title: L.control({position: "topleft"}), legend: L.control({position: "bottomleft"}),
      tip: L.tooltip({sticky: true, direction: "auto"})};
    [["ntm-outlines", 450], ["ntm-labels", 460]].forEach(function (pane) {
      var node = map.createPane(pane[0]);
      node.style.zIndex = String(pane[1]);
      node.style.pointerEvents = "none";
    });
    if (options.basemap) { L.tileLayer(options.basemap, {maxZoom: 19}).addTo(map); }  // the office's own tiles
    map.on("zoomend moveend", function () { label(view); });
    view.title.onAdd = function () { return el("div", {"class": "ntm-title"}); };
    view.legend.onAdd = function () { return el("div", {"class": "ntm-legend"}); };
    view.title.addTo(map);
    view.legend.addTo(map);
    return view;
  }

  function sync(a, b) {
    var moving = false;
    a.map.on("move", function () {
      if (moving || document.getElementById(b.map.getContainer().id).hidden) { return; }
      moving = true;
      b.map.setView(a.map.getCenter(), a.map.getZoom(), {animate: false});
      moving = false;
    });
  }

  // The units drawn come from one of two sources with the same styles and interactions: the
  // GeoJSON of /map/data (shapes and figures together), or the vector tiles of their collection
  // (OGC API - Tiles, shapes only) coloured by the figures of /map/data without geometry, so a
  // new measure, year or classification restyles the tiles already drawn. Communes of a province
  // or district come from the tiles once their boundaries are generalised (a background job,
  // once per vintage: GeoJSON until it finishes, then tiles); provinces and districts by their
  // communes (a few dozen units, cheaper as GeoJSON) always from the GeoJSON.
  var COLLECTIONS = {province: "provinces", district: "districts", commune: "communes"};
  var tilesets = {};  // the boundaries asked (tiles query) -> true once their tiles are ready

  function tilesQuery(extra) {
    var q = new URLSearchParams({year: (extra && extra.year) || state.year});
    if (state.vintage) { q.set("vintage", state.vintage); }
    return q.toString();
  }

  function tileUrl(collection, vintage) {
    return "/collections/" + collection + "/tiles/WebMercatorQuad/{z}/{y}/{x}?vintage=" + encodeURIComponent(vintage);
  }

  // Resolves true when the map asked (``extra`` as for /map/data) is drawn from the tiles: a
  // commune map whose boundaries are generalised. Else false, and when the tile set's metadata
  // says a job is generalising them, the job is followed and the map drawn again from the tiles
  // once it is done (a failed job leaves the map on the GeoJSON).
  function tiled(extra) {
    if (state.view !== "map" || national() || state.tier !== "commune") { return Promise.resolve(false); }
    var key = tilesQuery(extra);
    if (tilesets[key] !== undefined) { return Promise.resolve(tilesets[key] === true); }
    tilesets[key] = fetch("/collections/communes/tiles/WebMercatorQuad?" + key, {headers: {Accept: "application/json"}})
      .then(function (r) { return r.ok ? r.json() : {}; })
      .then(function (set) {
        if (set.generalised) { tilesets[key] = true; } else if (set.job) { follow(key, set.job); }
        return set.generalised === true;
      }).catch(function () { delete tilesets[key]; return false; });
    return tilesets[key];
  }

  function follow(key, jobUrl) {
    fetch(jobUrl, {headers: {Accept: "application/json"}}).then(function (r) { return r.json(); }).then(function (job) {
      if (job.state === "done") {
        tilesets[key] = true;
        if (views.main.geojsonFor === key || views.other.geojsonFor === key) { refresh(); }  // now from the tiles
      } else if (job.state !== "failed") {
        setTimeout(function () { follow(key, jobUrl); }, 1000);
      }  // failed: the GeoJSON stays (tilesets[key] keeps the answer: not asked again)
    }).catch(function () { tilesets[key] = false; });
  }

  // A layer of units from ``source``: {geojson: features} or {collection, vintage} (its tiles);
  // ``style(properties)`` is a unit's style, or null for a unit not drawn (a neighbour in the same
  // tile, a district of another province). Returns the Leaflet layer, restyle(code) and the code
  // of the unit of a mouse event.
  function unitsLayer(source, style, settings) {
    var layer;
    if (source.geojson) {
      var byCode = {};
      layer = L.geoJSON(source.geojson, Object.assign({
        style: function (f) { return style(f.properties); },
        filter: function (f) { return style(f.properties) !== null; },
        onEachFeature: function (f, part) { byCode[f.properties.code] = part; }
      }, settings));
      return {layer: layer, codeOf: function (e) { return e.layer.feature.properties.code; },
        restyle: function (code) { if (byCode[code]) { byCode[code].setStyle(style(byCode[code].feature.properties)); } },
        raise: function (code) { if (byCode[code]) { byCode[code].bringToFront(); } }};
    }
    var styles = {};
    styles[source.collection] = function (p) { return style(p) || []; };
    layer = L.vectorGrid.protobuf(tileUrl(source.collection, source.vintage), Object.assign({
      vectorTileLayerStyles: styles, maxNativeZoom: 14, getFeatureId: function (f) { return f.properties.code; }
    }, settings));
    return {layer: layer, codeOf: function (e) { return e.layer.properties.code; },
      restyle: function (code) { layer.resetFeatureStyle(code); }, raise: function () {}};
  }

  function unitStyle(view) {
    return function (p) {
      var d = view.data[p.code];
      if (!d) { return null; }  // a unit outside the map (a neighbour in the same tile): not drawn
      var hovered = view.hovered === p.code;
      return {fill: true, fillColor: d.fill, fillOpacity: options.basemap ? 0.75 : 1, weight: hovered ? 2.5 : 0.8,
        className: "ntm-commune ntm-code-" + p.code, color: hovered ? "#111111" : d["class"] === "not_assessed" ? "#9a9a9a" : "#4a4a4a"};
    };
  }

  // Draws ``data`` on ``view`` (from the tiles when ``tiles``): restyles the tiles drawn when they
  // show the same units, else draws the units anew; resolves once every tile in view is drawn.
  function draw(view, data) {
    var tiles = data.tiles;
    var collection = COLLECTIONS[data.tier];
    var codes = data.features.map(function (f) { return f.properties.code; }).sort();
    var drawing = tiles ? [collection, data.boundaries.vintage].concat(codes).join("|") : null;
    view.data = {};
    data.features.forEach(function (f) { view.data[f.properties.code] = f.properties; });
    view.features = data.features;
    view.geojsonFor = tiles ? null : data.tilesKey;
    view.map.getContainer().dataset.source = tiles ? "tiles" : "geojson";
    legend(view, data);
    if (view.units && drawing && view.key === drawing) {
      codes.forEach(view.units.restyle);
      return Promise.resolve();
    }
    if (view.units) { view.map.removeLayer(view.units.layer); }
    view.key = drawing;
    view.units = unitsLayer(tiles ? {collection: collection, vintage: data.boundaries.vintage} : {geojson: data},
      unitStyle(view), {interactive: true});
    var units = view.units;
    units.layer.on("click", function (e) {
      var code = units.codeOf(e);
      if (state.tier === "commune") { openProfile(code); } else if (aggregateView()) { drill(code); }
    });
    units.layer.on("mouseover mousemove", function (e) {
      var code = units.codeOf(e);
      view.tip.setLatLng(e.latlng).setContent(view.data[code].tooltip);
      if (!view.map.hasLayer(view.tip)) { view.map.openTooltip(view.tip); }
      if (view.hovered !== code) { hover(view, code); }
    });
    units.layer.on("mouseout", function () { view.map.closeTooltip(view.tip); hover(view, null); });
    return shown(units.layer, view.map);
  }

  // Adds a layer to a map; resolves once every tile in view is drawn (at once for GeoJSON).
  function shown(layer, map) {
    return new Promise(function (resolve) {
      layer.once("load", resolve);
      layer.addTo(map);
      if (!layer.isLoading || !layer.isLoading()) { resolve(); }  // GeoJSON, or no tile in view
    });
  }

  function hover(view, code) {
    var before = view.hovered;
    view.hovered = code;
    [before, code].forEach(function (c) { if (c && view.data[c]) { view.units.restyle(c); } });
    if (code) { view.units.raise(code); }
  }

  function legend(view, data) {
    var title = view.title.getContainer();
    title.replaceChildren(el("div", {"class": "ntm-title-main", text: data.title}), el("div", {"class": "ntm-subtitle", text: data.subtitle}));
    var rows = data.legend.entries.map(function (e) {
      return el("tr", {"data-class": e.key, "data-count": e.count}, [
        el("td", {}, [el("span", {"class": "ntm-swatch", style: "background:" + e.swatch})]),
        el("td", {text: e.label}), el("td", {"class": "ntm-count", text: String(e.count)})]);
    });
    view.legend.getContainer().replaceChildren(el("div", {"class": "ntm-legend-heading", text: data.legend.heading}),
      el("table", {}, rows), el("div", {"class": "ntm-legend-note", text: data.note}));
    if (view.source) { view.map.attributionControl.removeAttribution(view.source); }
    view.source = data.source.replace(/[&<>"]/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; });
    view.map.attributionControl.addAttribution(view.source);
  }

  // The province and district outlines above the communes of a province or district (not
  // clickable), from the provinces' and districts' tiles when the communes come from the tiles,
  // else from their items; none where the units drawn are the outlines. Resolves once drawn.
  function drawOutlines(view, data, tiles) {
    var wanted = national() || state.tier !== "commune" ? [] : options.has_districts ? ["provinces", "districts"] : ["provinces"];
    var vintage = data.boundaries.vintage;
    var key = [tiles, vintage, options.province].concat(wanted).join("|");
    if (view.outlinesKey === key) { return Promise.resolve(); }
    (view.outlines || []).forEach(function (layer) { view.map.removeLayer(layer); });
    view.outlines = [];
    view.outlinesKey = key;
    return Promise.all(wanted.map(function (collection) {
      if (tiles) { return {collection: collection, vintage: vintage}; }
      return getJSON("/collections/" + collection + "/items", new URLSearchParams({province: options.province, vintage: vintage, limit: "1000"}))
        .then(function (found) { return {geojson: found}; });
    })).then(function (sources) {
      if (view.outlinesKey !== key) { return null; }
      view.outlines = sources.map(function (source, i) {
        return unitsLayer(source, outlineStyle(wanted[i]), {pane: "ntm-outlines", interactive: false}).layer;
      });
      return Promise.all(view.outlines.map(function (layer) { return shown(layer, view.map); }));
    }).catch(function () { return null; });  // outlines never stop the map
  }

  function outlineStyle(collection) {
    var provinces = collection === "provinces";
    return function (p) {  // the tiles hold every province's units; the items only the province's
      var province = provinces ? p.code : p.province_code;
      if (province !== undefined && province !== options.province) { return null; }
      return {fill: false, color: "#1a1a1a", weight: provinces ? 3 : 1.8, opacity: 0.9, interactive: false,
        className: (provinces ? "ntm-province-outline" : "ntm-district-outline") + " ntm-code-" + p.code};
    };
  }

  function boxOf(p) {
    var b = p.main_box;
    return L.latLngBounds([[b[1], b[0]], [b[3], b[2]]]);
  }

  // The names of the units drawn, where they fit: a label is shown when the box of the unit's
  // largest part on the screen is wider than its name.
  function label(view) {
    if (!view.features) { return; }
    if (view.labels) { view.map.removeLayer(view.labels); }
    var bounds = view.map.getBounds();
    var shown = [];
    view.features.forEach(function (f) {
      var box = boxOf(f.properties);
      var name = f.properties.name;
      if (!name || !bounds.intersects(box)) { return; }
      var ne = view.map.latLngToContainerPoint(box.getNorthEast()), sw = view.map.latLngToContainerPoint(box.getSouthWest());
      if (ne.x - sw.x < name.length * 6.5 + 8 || sw.y - ne.y < 16) { return; }
      shown.push(L.marker(box.getCenter(), {pane: "ntm-labels", interactive: false, keyboard: false,
        icon: L.divIcon({className: "ntm-label", html: el("span", {text: name}), iconSize: null})}));
    });
    view.labels = L.layerGroup(shown).addTo(view.map);
  }

  function fit() {
    var scope = [state.province, state.district, state.vintage, state.mode === "side", state.tier].join("|");
    if (scope === drawnScope) { return; }
    drawnScope = scope;
    refit();
  }

  // -- refresh ------------------------------------------------------------------------------
  function refresh() {
    var mine = ++generation;
    busy();
    var side = state.mode === "side";
    var onMap = state.view === "map";
    var mapData = function (extra) {  // the figures, with the shapes unless drawn from the tiles
      return tiled(extra).then(function (tiles) {
        var asked = Object.assign(onMap && !tiles ? {} : {geometry: "false"}, extra);
        return getJSON("/map/data", query(asked)).then(function (data) {
          return Object.assign(data, {tiles: tiles, tilesKey: tilesQuery(extra)});
        });
      });
    };
    var main = mapData(state.mode === "change" ? {compare: state.compare} : {});
    var other = side ? mapData({year: state.compare}) : Promise.resolve(null);
    var summary = options.carried || national() ? Promise.resolve(null)
      : getJSON("/map/summary", query({measure: "", scheme: "", classes: "", tier: ""}));
    var targets = options.carried || national() ? Promise.resolve(null)
      : getJSON("/progress", new URLSearchParams({province: state.province, year: state.year})).catch(function () { return null; });
    document.getElementById("map2").hidden = !side || !onMap;
    document.getElementById("maps").hidden = !onMap;
    tableView.hidden = state.view !== "table";
    var checks = national() ? Promise.resolve(null)
      : getJSON("/issues", new URLSearchParams({province: state.province, district: state.district, year: state.year}))
        .catch(function () { return null; });  // the data checks never stop the map
    Promise.all([main, other, summary, checks, targets]).then(function (found) {
      if (mine !== generation) { return; }
      renderChecks(found[3]);
      renderProgress(found[4]);
      current.main = found[0];
      current.other = found[1];
      current.summary = found[2];
      var drawn = [];
      if (onMap) {
        views.main.map.invalidateSize();
        fit();
        drawn.push(draw(views.main, found[0]), drawOutlines(views.main, found[0], found[0].tiles));
        label(views.main);
        if (found[1]) {
          views.other.map.invalidateSize();
          views.other.map.setView(views.main.map.getCenter(), views.main.map.getZoom(), {animate: false});
          drawn.push(draw(views.other, found[1]), drawOutlines(views.other, found[1], found[1].tiles));
          label(views.other);
        }
      } else {
        drawnScope = "";  // fit again when the map is shown
      }
      renderTable();
      links();
      return Promise.all(drawn).then(function () {
        if (mine !== generation) { return; }
        // The first map painted: every tile in view drawn (bench/bench_first_paint.py reads it).
        if (onMap && !performance.getEntriesByName("ntm-first-map").length) { performance.mark("ntm-first-map"); }
        ready();
      });
    }).catch(function (e) { if (mine === generation) { busy(e.message); } });
  }

  function pageQuery() {
    var page = new URLSearchParams();
    Object.keys(state).forEach(function (k) { if (state[k]) { page.set(k, state[k]); } });
    page.set("lang", options.lang);
    return page;
  }

  function links() {
    var page = pageQuery();
    history.replaceState(null, "", "?" + page.toString());
    page.set("lang", options.lang === "vi" ? "en" : "vi");
    document.getElementById("lang-switch").href = "?" + page.toString();
    document.getElementById("export").href = "/map.png?" + query(state.mode === "change" ? {compare: state.compare} : {}).toString();
  }

  // -- table and summaries ------------------------------------------------------------------
  function columns() {
    var table = current.main.table;
    if (aggregateView()) {  // provinces or districts by their communes
      var count = function (key, heading) { return {key: key, label: heading, numeric: true, text: function (p) { return String(p[key]); }}; };
      return [{key: "name", label: T.col_name}, count("communes_assessed", T.col_communes), count("communes_with_data", T.col_with_data),
        {key: "recognised_ntm", label: T.col_recognised_ntm, numeric: true, value: function (p) { return p.recognised.ntm; },
          text: function (p) { return String(p.recognised.ntm); }},
        {key: "mean_criteria_met", label: T.col_mean_met, numeric: true,
          text: function (p) { return p.mean_criteria_met === null ? "–" : p.mean_criteria_met.toFixed(1); }},
        {key: "value", label: T.col_value, numeric: true, text: function (p) { return p.value_text || "–"; }},
        {key: "label", label: T[table.class_heading]}];
    }
    var cols = [
      {key: "name", label: T.col_name}, options.has_districts ? {key: "district", label: T.col_district} : null,
      {key: "level", label: T.col_level, text: function (p) { return p.assessed ? (p.has_data ? levelLabel(p.level) : "–") : T.level_none; }},
      {key: "criteria_met", label: T.col_met, numeric: true, text: metText},
      {key: "criteria_unmet", label: T.col_unmet, text: function (p) { return p.criteria_unmet.join(", "); }}
    ].filter(Boolean);  // boundaries from 1 July 2025 have no district column
    if (options.groups.length) {
      cols.splice(2, 0, {key: "ntm_group", label: T.col_group, numeric: true, text: function (p) { return groupLabel(p.ntm_group); }});
    }
    if (table.value) {
      cols.push({key: "value", label: T.col_value, numeric: true, text: function (p) { return p.value_text || "–"; }});
    }
    if (current.other) {
      var before = {};
      current.other.features.forEach(function (f) { before[f.properties.code] = f.properties; });
      var y = current.other.year;
      cols.push({key: "other_level", label: T.col_level + " " + y, value: function (p) { return before[p.code] ? before[p.code].level || "" : ""; },
        text: function (p) { var o = before[p.code]; return o && o.assessed && o.has_data ? levelLabel(o.level) : "–"; }});
      cols.push({key: "other_met", label: T.col_met + " " + y, numeric: true,
        value: function (p) { return before[p.code] ? before[p.code].criteria_met : null; },
        text: function (p) { return before[p.code] ? metText(before[p.code]) : "–"; }});
    }
    cols.push({key: "label", label: T[table.class_heading]});
    return cols;
  }

  function cellValue(col, p) {
    if (col.value) { return col.value(p); }
    var v = p[col.key];
    return Array.isArray(v) ? v.length : v;
  }

  function sortedRows(cols) {
    var col = cols.filter(function (c) { return c.key === sort.key; })[0] || cols[0];
    return current.main.features.map(function (f) { return f.properties; }).sort(function (a, b) {
      var x = cellValue(col, a), y = cellValue(col, b);
      if (x === null || x === undefined || x === "") { return 1; }
      if (y === null || y === undefined || y === "") { return -1; }
      return sort.dir * (col.numeric ? x - y : String(x).localeCompare(String(y), options.lang));
    });
  }

  function renderTable() {
    var cols = columns();
    var head = el("tr", {}, cols.map(function (c) {
      var th = el("th", {scope: "col", "aria-sort": c.key === sort.key ? (sort.dir > 0 ? "ascending" : "descending") : "none"}, [
        el("button", {type: "button", "data-key": c.key, text: c.label})]);
      return th;
    }));
    var body = sortedRows(cols).map(function (p) {
      return el("tr", {"data-code": p.code}, cols.map(function (c) {
        if (c.key === "name") { return el("th", {scope: "row"}, [el("button", {type: "button", "class": "link", "data-code": p.code, text: p.name || p.code})]); }
        if (c.key === "label") { return el("td", {}, [el("span", {"class": "ntm-swatch", style: "background:" + swatchOf(p["class"])}), " " + p.label]); }
        return el("td", {"class": c.numeric ? "num" : null, text: c.text ? c.text(p) : (p[c.key] || "")});
      }));
    });
    var table = el("table", {"class": "data", id: "communes-table"}, [
      el("caption", {text: current.main.title + " — " + T.sort_hint}), el("thead", {}, [head]), el("tbody", {}, body)]);
    tableView.replaceChildren(table, summaryBlock(current.summary));
  }

  function swatchOf(key) {
    return current.main.legend.entries.filter(function (e) { return e.key === key; })[0].swatch;
  }

  function smallTable(caption, heads, rows) {
    return el("table", {"class": "data"}, [el("caption", {text: caption}),
      el("thead", {}, [el("tr", {}, heads.map(function (h) { return el("th", {scope: "col", text: h}); }))]),
      el("tbody", {}, rows.length ? rows.map(function (r) { return el("tr", {}, r.map(function (c) { return el("td", {text: String(c)}); })); })
        : [el("tr", {}, [el("td", {colspan: heads.length, text: T.none})])])]);
  }

  function summaryBlock(summary) {
    if (!summary) { return el("div", {id: "summaries"}); }
    var named = function (item) { return options.lang === "vi" ? item.name_vi : item.name_en; };
    var near = summary.near_next_level.map(function (r) {
      return [r.name, r.district || "", r.criteria_met + "/" + r.criteria_total, r.next_level_label, r.missing.join(", ") || "–"];
    });
    var unmet = summary.most_unmet.map(function (r) { return [r.criterion + ". " + (named(r) || ""), r.communes, r.conflicting]; });
    return el("div", {"class": "summaries", id: "summaries"}, [
      smallTable(T.near_next, [T.col_name, T.col_district, T.col_met, T.col_next, T.col_missing], near),
      smallTable(T.most_unmet, [T.col_criterion, T.col_communes, T.col_conflicting], unmet)]);
  }

  tableView.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button) { return; }
    if (button.dataset.code) {
      if (aggregateView()) { drill(button.dataset.code); } else { openProfile(button.dataset.code); }
      return;
    }
    sort = {key: button.dataset.key, dir: sort.key === button.dataset.key ? -sort.dir : 1};
    renderTable();
    tableView.querySelector('button[data-key="' + sort.key + '"]').focus();
  });

  // -- data checks: the contradictions flagged in the data of the province and year -----------
  function renderChecks(found) {
    checksBox.hidden = national();  // the data checks are of a province
    var items = found ? found.issues : [];
    var list = items.length ? el("ul", {}, items.map(function (issue) {
      var buttons = issue.units.map(function (u) {
        return el("button", {type: "button", "class": "link", "data-check-code": u.code, text: u.name || u.code});
      });
      return el("li", {"data-kind": issue.kind}, [(options.lang === "vi" ? issue.message_vi : issue.message_en) + " "].concat(buttons));
    })) : el("p", {text: T.no_data_checks});
    checksBox.replaceChildren(el("h2", {id: "data-checks-title", text: T.data_checks + " (" + items.length + ")"}), list);
  }

  // -- progress against targets: the province's path and its communes' targets (issue 13 §5) ---
  function renderProgress(found) {
    progressBox.hidden = !found;
    if (!found) { return; }
    var parts = [el("h2", {id: "progress-title", text: T.progress_title})];
    var statusText = function (s) { return T["progress_" + s] || s; };
    if (!found.targets_loaded) {
      parts.push(el("p", {"class": "no-target", text: T.no_target.replace("{province}", found.province)}));
    }
    if (found.province_targets.length) {
      parts.push(smallTable(T.progress_province, [T.col_target_level, T.col_target_year, T.col_target_share, T.col_path_share,
        T.col_recognised_share, T.col_progress, T.source], found.province_targets.map(function (t) {
        return [levelLabel(t.level), t.target_year, percent(t.target_share), percent(t.path_share),
          percent(t.recognised_share) + " (" + t.recognised + "/" + t.communes + ")", statusText(t.status), t.source];
      })));
    }
    if (found.communes.length) {
      parts.push(smallTable(T.progress_communes, [T.col_name, T.col_target_level, T.col_target_year, T.col_met,
        T.col_unmet_per_year, T.col_progress], found.communes.map(function (c) {
        return [c.name || c.code, levelLabel(c.level), c.target_year, metText(c),
          c.unmet_per_year === null ? "–" : c.unmet_per_year.toFixed(1), statusText(c.status)];
      })));
    }
    progressBox.replaceChildren.apply(progressBox, parts);
  }

  function zoomTo(code) {
    if (!views.main.data || !views.main.data[code] || state.view !== "map") { return; }
    views.main.map.fitBounds(boxOf(views.main.data[code]), {maxZoom: 14, animate: false});
  }

  checksBox.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-check-code]");
    if (!button) { return; }
    zoomTo(button.dataset.checkCode);
    openProfile(button.dataset.checkCode);
  });

  // -- a commune's profile ------------------------------------------------------------------
  function openProfile(code) {
    var q = new URLSearchParams({year: state.year, lang: options.lang});
    if (state.vintage) { q.set("vintage", state.vintage); }
    profileBox.hidden = false;
    profileBox.replaceChildren(el("p", {text: T.loading}));
    getJSON("/profile/" + encodeURIComponent(code), q).then(renderProfile).catch(function (e) {
      profileBox.replaceChildren(el("p", {"class": "error", text: T.error + ": " + e.message}), closeButton());
    });
  }

  function closeButton() {
    var button = el("button", {type: "button", "class": "close", "aria-label": T.close, text: "×"});
    button.addEventListener("click", function () { profileBox.hidden = true; });
    return button;
  }

  function renderProfile(p) {
    var named = function (c) { return options.lang === "vi" ? c.name_vi : c.name_en; };
    var parts = [el("header", {}, [el("h2", {id: "profile-title", tabindex: "-1", text: p.name || p.code}), closeButton()]),
      el("p", {"class": "place", text: [p.district, p.province].filter(Boolean).join(", ") + " · " + T.year + " " + p.year})];
    if (p.ntm_group) {
      parts.push(el("p", {"class": "ntm-group", text: groupLabel(p.ntm_group.group) + " · " + T.group_decision + ": " +
        p.ntm_group.decision + " (" + p.ntm_group.decision_date + ")"}));
    }
    if (!p.assessed) {
      parts.push(el("p", {text: T.not_assessed}));
    } else {
      parts.push(el("p", {"class": "figures", text: T.reached + ": " + (p.has_data ? levelLabel(p.level) : T.status_no_data) +
        " · " + T.col_met + ": " + metText(p) + (p.framework ? " · " + T.framework + ": " + p.framework : "")}));
      parts.push(smallTable(T.criteria, [T.col_criterion, T.col_status, T.source], p.criteria.map(function (c) {
        return [c.number + ". " + named(c), T["status_" + c.status], c.sources.map(function (s) {
          return (c.status === "conflicting" ? (s.met ? T.status_met : T.status_unmet) + ": " : "") + (s.source || "–");
        }).join("; ")];
      })));
      if (p.decisions.length) { parts.push(el("p", {text: T.decisions + ": " + p.decisions.join("; ")})); }
      parts.push(smallTable(T.history, [T.col_year, T.col_level, T.col_met, T.col_unmet], p.history.map(function (h) {
        return [h.year, levelLabel(h.level), metText(h), h.criteria_unmet.join(", ")];
      })));
    }
    parts.push(smallTable(T.indicators, [T.col_indicator, T.col_value, T.col_verdict, T.source], p.indicators.map(function (i) {
      return [i.label, i.text, i.verdict || "", i.layer + " (" + i.layer_date + ")"];
    })));
    if (p.baseline) { parts.push(baselineBlock(p.baseline)); }
    profileBox.replaceChildren.apply(profileBox, parts);
    document.getElementById("profile-title").focus();
  }

  // The former communes of a commune formed by a merger: history, never its own recognition.
  function baselineBlock(b) {
    var shares = Object.keys(b.area_share).map(function (level) { return levelLabel(level) + " " + percent(b.area_share[level]); });
    return el("section", {"class": "baseline"}, [
      el("h3", {text: T.baseline + " (" + b.former_vintage + ")"}),
      el("p", {"class": "note", text: options.lang === "vi" ? b.note_vi : b.note_en}),
      el("p", {text: T.area_recognised + ": " + (shares.join(" · ") || "–")}),
      smallTable(T.baseline, [T.col_former_unit, T.col_share_of_new, T.col_level, T.decisions], b.former_units.map(function (f) {
        return [f.name || f.code, percent(f.share_of_new), f.recognised_level ? levelLabel(f.recognised_level) : T.not_reached,
          f.decisions.map(function (d) { return d.decision + (d.decision_date ? " (" + d.decision_date + ")" : ""); }).join("; ") || "–"];
      }))]);
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !profileBox.hidden) { profileBox.hidden = true; }
  });
  function refit() {
    if (!current.main) { return; }
    views.main.map.invalidateSize();
    var b = current.main.bbox;
    views.main.map.fitBounds([[b[1], b[0]], [b[3], b[2]]], {padding: [20, 20], animate: false});
  }
  window.addEventListener("beforeprint", refit);
  window.addEventListener("afterprint", refit);

  // -- start --------------------------------------------------------------------------------
  if (options.empty) {
    statusBox.textContent = T.empty;
    document.body.dataset.state = "empty";
    return;
  }
  adopt();
  renderControls();
  views.main = makeView("map");
  views.other = makeView("map2");
  sync(views.main, views.other);
  sync(views.other, views.main);
  window.ntmPlanner = {views: views, state: state, current: current};
  refresh();
}());
