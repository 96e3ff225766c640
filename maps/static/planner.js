/* The planner's page of geo_ntm: the controls, the map (Leaflet, served by the service itself),
   its legend, a commune's profile, the table with its summaries, two years compared, the PNG
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
    var view = {map: map, layer: null, title: L.control({position: "topleft"}), legend: L.control({position: "bottomleft"})};
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

  function draw(view, data) {
    if (view.layer) { view.map.removeLayer(view.layer); }
    view.layer = L.geoJSON(data, {
      style: function (f) {
        return {fillColor: f.properties.fill, fillOpacity: options.basemap ? 0.75 : 1, weight: 0.8, className: "ntm-commune",
          color: f.properties["class"] === "not_assessed" ? "#9a9a9a" : "#4a4a4a"};
      },
      onEachFeature: function (f, layer) {
        layer.bindTooltip(f.properties.tooltip, {sticky: true});
        layer.on("click", function () {
          if (state.tier === "commune") { openProfile(f.properties.code); } else if (aggregateView()) { drill(f.properties.code); }
        });
        layer.on("mouseover", function () { layer.setStyle({weight: 2.5, color: "#111111"}); layer.bringToFront(); });
        layer.on("mouseout", function () { view.layer.resetStyle(layer); });
      }
    }).addTo(view.map);
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

  // The province and district outlines above the communes (boundaries of the map drawn).
  function outlineData() {
    if (national() || state.tier !== "commune") { return Promise.resolve([]); }  // the units drawn are the outlines
    var q = {province: state.province, limit: "1000"};
    if (state.vintage) { q.vintage = state.vintage; } else { q.date = state.year + "-12-31"; }
    var asks = [getJSON("/collections/provinces/items", new URLSearchParams(q))];
    if (options.has_districts) { asks.push(getJSON("/collections/districts/items", new URLSearchParams(q))); }
    return Promise.all(asks).catch(function () { return []; });  // outlines never stop the map
  }

  function drawOutlines(view, found) {
    if (view.outlines) { view.map.removeLayer(view.outlines); }
    view.outlines = L.layerGroup(found.map(function (data, i) {
      return L.geoJSON(data, {pane: "ntm-outlines", interactive: false,
        style: {fill: false, color: "#1a1a1a", weight: i === 0 ? 3 : 1.8, opacity: 0.9, className: i === 0 ? "ntm-province-outline" : "ntm-district-outline"}});
    })).addTo(view.map);
  }

  // The box of a unit's largest part (a province's mainland, not its islands).
  function mainBox(layer) {
    var parts = layer.feature.geometry.type === "MultiPolygon" ? layer.getLatLngs() : [layer.getLatLngs()];
    var best = null, most = -1;
    parts.forEach(function (rings) {
      var box = L.latLngBounds(rings[0]);
      var size = (box.getEast() - box.getWest()) * (box.getNorth() - box.getSouth());
      if (size > most) { most = size; best = box; }
    });
    return best;
  }

  // The names of the units drawn, where they fit: a label is shown when the box of the unit's
  // largest part on the screen is wider than its name.
  function label(view) {
    if (!view.layer) { return; }
    if (view.labels) { view.map.removeLayer(view.labels); }
    var bounds = view.map.getBounds();
    var shown = [];
    view.layer.eachLayer(function (layer) {
      var box = mainBox(layer);
      var name = layer.feature.properties.name;
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
    var main = getJSON("/map/data", query(state.mode === "change" ? {compare: state.compare} : {}));
    var other = side ? getJSON("/map/data", query({year: state.compare})) : Promise.resolve(null);
    var summary = options.carried || national() ? Promise.resolve(null)
      : getJSON("/map/summary", query({measure: "", scheme: "", classes: "", tier: ""}));
    var targets = options.carried || national() ? Promise.resolve(null)
      : getJSON("/progress", new URLSearchParams({province: state.province, year: state.year})).catch(function () { return null; });
    document.getElementById("map2").hidden = !side || state.view !== "map";
    document.getElementById("maps").hidden = state.view !== "map";
    tableView.hidden = state.view !== "table";
    var checks = national() ? Promise.resolve(null)
      : getJSON("/issues", new URLSearchParams({province: state.province, district: state.district, year: state.year}))
        .catch(function () { return null; });  // the data checks never stop the map
    var lines = state.view === "map" ? outlineData() : Promise.resolve([]);
    Promise.all([main, other, summary, checks, targets, lines]).then(function (found) {
      if (mine !== generation) { return; }
      renderChecks(found[3]);
      renderProgress(found[4]);
      current.main = found[0];
      current.other = found[1];
      current.summary = found[2];
      if (state.view === "map") {
        views.main.map.invalidateSize();
        draw(views.main, found[0]);
        drawOutlines(views.main, found[5]);
        fit();
        label(views.main);
        if (found[1]) {
          views.other.map.invalidateSize();
          draw(views.other, found[1]);
          drawOutlines(views.other, found[5]);
          views.other.map.setView(views.main.map.getCenter(), views.main.map.getZoom(), {animate: false});
          label(views.other);
        }
      } else {
        drawnScope = "";  // fit again when the map is shown
      }
      renderTable();
      links();
      ready();
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
    if (!views.main.layer || state.view !== "map") { return; }
    views.main.layer.eachLayer(function (layer) {
      if (layer.feature.properties.code === code) { views.main.map.fitBounds(layer.getBounds(), {maxZoom: 14, animate: false}); }
    });
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
