// The HTML report's style sheet and scripts. The page's data arrives as JSON in
// <script type="application/json" id="gorgon-data">; every <canvas data-chart="KIND"> is
// drawn by the builder of that kind. Strings from the data only ever reach Chart.js (drawn
// on a canvas) or textContent, never innerHTML.
#include "html_report.hpp"

namespace gorgon::analysis::detail {

std::string_view page_css() {
  return R"CSS(:root{--fg:#1d2433;--muted:#5f6b7d;--bg:#f4f6f9;--card:#fff;--line:#e3e7ed;
--head:#1c2740;--accent:#2f6fdb;--up:#17803d;--down:#c42b2b}
*{box-sizing:border-box}
html{background:var(--bg)}
body{margin:0;color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,
"Helvetica Neue",Arial,sans-serif}
header.page{background:var(--head);color:#fff;padding:18px 32px}
header.page h1{margin:0;font-size:21px;font-weight:600;letter-spacing:.01em}
header.page .sub{color:#b8c4dc;margin-top:3px;font-size:13px;word-break:break-all}
main{max-width:1320px;margin:0 auto;padding:8px 28px 40px}
nav.toc{display:flex;flex-wrap:wrap;gap:6px;margin:16px 0 0}
nav.toc a{background:var(--card);border:1px solid var(--line);border-radius:14px;padding:2px 12px;
color:var(--accent);text-decoration:none;font-size:13px}
nav.toc a:hover{border-color:var(--accent)}
section.run{background:var(--card);border:1px solid var(--line);border-radius:8px;
padding:18px 24px 22px;margin:18px 0;box-shadow:0 1px 2px rgba(16,24,40,.05)}
section.run h2{margin:0 0 4px;font-size:17px;font-weight:600;word-break:break-word}
h3{font-size:14px;margin:22px 0 8px;color:#344054;text-transform:uppercase;letter-spacing:.05em}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(130px,1fr));gap:10px;margin:14px 0 4px}
.card{background:var(--bg);border-radius:6px;padding:8px 12px}
.card .k{color:var(--muted);font-size:11px;text-transform:uppercase;letter-spacing:.05em}
.card .v{font-size:19px;font-weight:600;font-variant-numeric:tabular-nums;white-space:nowrap}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}
table.summary{width:100%}
th,td{padding:4px 10px;border-bottom:1px solid var(--line);white-space:nowrap;vertical-align:top}
thead th{background:#f8f9fb;color:#344054;font-weight:600;text-align:right;border-bottom:2px solid var(--line)}
th.group{text-align:center;border-left:1px solid var(--line)}
.name{text-align:left}
td.num{text-align:right}
tbody tr:hover{background:#f8fafc}
tr.sub td.name{padding-left:26px;color:#475467}
table.nodes{width:auto}
table.nodes tr.node td{font-weight:600}
.tag{font-size:10px;color:var(--muted);border:1px solid var(--line);border-radius:3px;padding:0 4px;
margin-right:4px;text-transform:uppercase;letter-spacing:.04em}
table.meta th{color:var(--muted);font-weight:500;background:none;text-align:left;width:1%}
table.meta td{white-space:pre-wrap;word-break:break-all}
table.compare th,table.compare td{padding:4px 7px;font-size:13px}
table.compare thead th{vertical-align:bottom}
table.compare .first{border-left:1px solid var(--line)}
.warning{background:#fff4e5;color:#8a4b00;border:1px solid #f6c77d;border-radius:6px;
padding:8px 12px;margin:10px 0}
td.up{color:var(--up);font-weight:600}
td.down{color:var(--down);font-weight:600}
.note{color:var(--muted);font-size:13px;margin:8px 0}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(460px,100%),1fr));gap:14px;
margin:8px 0}
.charts.small{grid-template-columns:repeat(auto-fill,minmax(min(290px,100%),1fr))}
figure.chart{margin:0;border:1px solid var(--line);border-radius:6px;padding:8px 12px 10px;min-width:0}
figure.chart.wide{grid-column:1/-1}
figure.chart figcaption{font-size:13px;font-weight:600;color:#344054;margin-bottom:4px;
overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
figure.chart .box{position:relative;height:280px}
canvas{display:block;max-width:100%}
.charts.small .box{height:170px}
figure.chart.wide .box{height:320px}
details{margin-top:14px}
summary{cursor:pointer;color:var(--accent)}
pre.text{font:12px/1.4 ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;background:#111827;
color:#e5e7eb;padding:12px 14px;border-radius:6px;overflow-x:auto}
#gorgon-errors{background:#fdecec;color:#8a1c1c;border:1px solid #f5b5b5;border-radius:6px;
padding:10px 14px;white-space:pre-wrap}
footer{color:var(--muted);font-size:12px;text-align:center;padding:0 0 24px}
tr.error td.name{color:var(--down)}
/* The label column stays in view while a wide table scrolls sideways. */
.table-wrap td.name:first-child,.table-wrap th.name:first-child{position:sticky;left:0;
background:var(--card);z-index:1}
.table-wrap thead th.name:first-child{background:#f8f9fb}
.tag.err{color:#fff;background:var(--down);border-color:var(--down)}
.card.err .v,td.err{color:var(--down)}
.alarm{background:var(--down);color:#fff;font-size:16px;border-radius:6px;padding:10px 14px;margin:12px 0}
table.limits td.verdict{font-weight:700}
table.limits tr.passed td.verdict{color:var(--up)}
table.limits tr.failed td.verdict{color:var(--down)}
table.limits tr.failed td.name{color:var(--down)}
code{font:12px ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace}
/* A phone: narrower margins; tables scroll inside their .table-wrap, charts fit the width. */
@media (max-width:640px){
header.page{padding:14px 16px}
main{padding:4px 10px 28px}
section.run{padding:12px 12px 16px}
figure.chart{padding:6px 6px 8px}
.card .v{font-size:17px}
}
)CSS";
}

std::string_view page_error_script() {
  return R"JS(window.gorgonErrors = [];
function gorgonError(message) {
  window.gorgonErrors.push(String(message));
  document.documentElement.setAttribute('data-render', 'error');
  var el = document.getElementById('gorgon-errors');
  if (el) { el.hidden = false; el.textContent = window.gorgonErrors.join('\n'); }
}
window.addEventListener('error', function (e) {
  gorgonError((e && e.message) || 'script error');
});
// The page must not load anything: a request the Content-Security-Policy blocked is an error.
document.addEventListener('securitypolicyviolation', function (e) {
  gorgonError('blocked request: ' + e.blockedURI + ' (' + e.violatedDirective + ')');
});
window.addEventListener('unhandledrejection', function (e) {
  gorgonError('unhandled rejection: ' + (e && e.reason && e.reason.message || e.reason));
});
)JS";
}

std::string_view page_script() {
  return R"JS((function () {
  'use strict';
  if (window.gorgonErrors.length) {  // raised before the error box existed: show them now
    var box = document.getElementById('gorgon-errors');
    box.hidden = false;
    box.textContent = window.gorgonErrors.join('\n');
  }
  if (typeof Chart === 'undefined') { gorgonError('Chart.js did not load'); return; }
  var data = JSON.parse(document.getElementById('gorgon-data').textContent);
  // Series colours, chosen by seriesColors alone: successes from 12 cool colours, errors
  // (labels the run counts as failures, and their sub-calls) from 12 reds and oranges, each
  // used once per chart; past 12 of a kind, the same colours darkened. Up to 24 series of
  // each kind never share a colour.
  var cool = ['#2f6fdb', '#2b8a3e', '#7048e8', '#0c8599', '#5c940d', '#ae3ec9', '#1864ab',
              '#20c997', '#364fc7', '#495057', '#15aabf', '#9775fa'];
  var warm = ['#e03131', '#f76707', '#c2255c', '#f59f00', '#a61e4d', '#d9480f', '#ff8787',
              '#ffa94d', '#8f1d1d', '#f06595', '#b35c00', '#ffc078'];
  var neutral = '#344054';  // "All calls"
  var pctColors = ['#2f6fdb', '#2b8a3e', '#f59f00', '#c42b2b'];  // p50, p90, p99, p99.9
  function darker(c) {
    var n = parseInt(c.slice(1), 16), out = '#';
    [16, 8, 0].forEach(function (s) {
      out += ('0' + Math.round(((n >> s) & 255) * 0.6).toString(16)).slice(-2);
    });
    return out;
  }
  // flags[i]: true for an error series, false for a success, null for the neutral total.
  function seriesColors(flags) {
    var errors = 0, successes = 0;
    function pick(list, i) {
      var c = list[i % list.length];
      return i < list.length ? c : darker(c);
    }
    return flags.map(function (f) {
      return f === null ? neutral : f ? pick(warm, errors++) : pick(cool, successes++);
    });
  }
  function distColors(run) {
    if (!run.colors)
      run.colors = seriesColors(run.dist.map(function (d) { return d.all ? null : d.error; }));
    return run.colors;
  }
  function color(i) { return cool[i % cool.length]; }  // charts that are not per label
  function alpha(c, a) {
    var n = parseInt(c.slice(1), 16);
    return 'rgba(' + (n >> 16) + ',' + ((n >> 8) & 255) + ',' + (n & 255) + ',' + a + ')';
  }

  Chart.defaults.animation = false;
  Chart.defaults.responsive = true;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif';
  Chart.defaults.font.size = 11;
  Chart.defaults.color = '#475467';
  Chart.defaults.borderColor = '#eaecf0';
  Chart.defaults.plugins.legend.labels.boxWidth = 12;
  Chart.defaults.plugins.legend.labels.boxHeight = 12;

  function sig(v) { return String(+v.toPrecision(3)); }
  function fmtNs(v) {
    if (v === null || v === undefined || isNaN(v)) return '';
    if (v === 0) return '0';
    var a = Math.abs(v);
    if (a >= 3600e9) return sig(v / 3600e9) + 'h';
    if (a >= 60e9) return sig(v / 60e9) + 'min';
    if (a >= 1e9) return sig(v / 1e9) + 's';
    if (a >= 1e6) return sig(v / 1e6) + 'ms';
    if (a >= 1e3) return sig(v / 1e3) + '\u00b5s';
    return sig(v) + 'ns';
  }
  function fmtRate(v) {
    if (v === 0) return '0';
    if (v >= 100) return Math.round(v).toLocaleString('en-US');
    if (v >= 1) return v.toFixed(1);
    return v.toFixed(3);
  }
  function fmtCount(v) { return Math.round(v).toLocaleString('en-US'); }
  function fmtPct(p) {
    if (p >= 100) return 'max';
    var s = p.toFixed(p >= 99 ? 4 : 2).replace(/0+$/, '').replace(/\.$/, '');
    return 'p' + s;
  }
  // Log axes: label only 1, 2 and 5 times a power of ten.
  function logTick(format) {
    return function (v) {
      var e = Math.floor(Math.log10(v) + 1e-9), m = v / Math.pow(10, e);
      return [1, 2, 5].some(function (x) { return Math.abs(m - x) < 1e-6; }) ? format(v) : '';
    };
  }
  // Grid lines only where a log axis has a label.
  var labelledGrid = { color: function (c) { return c.tick && c.tick.label ? '#e4e7ec' : 'transparent'; } };
  // Histogram bars are equal steps on a log scale: label the bars that hold a round value
  // (powers of ten; also 2 and 5 times them when the bars span less than 1.5 decades).
  function roundLabels(bars) {
    var labels = {}, lo = Math.max(bars[0][0], 1), hi = bars[bars.length - 1][1];
    var mults = Math.log10(hi / lo) < 1.5 ? [1, 2, 5] : [1];
    bars.forEach(function (b, i) {
      for (var e = Math.floor(Math.log10(Math.max(b[0], 1))); e <= Math.ceil(Math.log10(b[1])); ++e)
        mults.forEach(function (m) {
          var v = m * Math.pow(10, e);
          if (b[0] <= v && v < b[1]) labels[i] = fmtNs(v);
        });
    });
    return labels;
  }
  // The x labels of a histogram: its round values, or, when fewer than two bars hold one (a
  // narrow histogram, e.g. calls that all took one time), the first, middle and last bars'.
  function barLabels(bars) {
    var labels = roundLabels(bars);
    if (Object.keys(labels).length < 2)
      [0, Math.floor((bars.length - 1) / 2), bars.length - 1].forEach(function (i) {
        labels[i] = fmtNs(bars[i][0]);
      });
    return labels;
  }
  function timeAxis() {
    return { type: 'linear', title: { display: true, text: 'time since start (s)' },
             ticks: { maxTicksLimit: 10 } };
  }
  function legendFor(n) { return { display: n > 1, position: 'bottom' }; }

  var builders = {
    throughput: function (run) {
      var s = run.series, half = s.bin_s / 2, sets = [];
      var colors = seriesColors(s.label_errors);
      function points(ys) { return ys.map(function (y, i) { return { x: s.t[i] + half, y: y }; }); }
      s.labels.forEach(function (name, k) {
        sets.push({ label: name, data: points(s.per_s[k]), borderColor: colors[k], error: s.label_errors[k],
                    backgroundColor: colors[k], borderWidth: 1.5, pointRadius: 0, tension: 0 });
      });
      if (s.labels.length > 1)
        sets.push({ label: 'all labels', data: points(s.total_per_s), borderColor: '#667085',
                    backgroundColor: '#667085', borderDash: [5, 4], borderWidth: 1.5, pointRadius: 0 });
      return { type: 'line', data: { datasets: sets }, options: {
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        scales: { x: timeAxis(), y: { beginAtZero: true, title: { display: true, text: 'calls/s' },
                  ticks: { callback: function (v) { return fmtRate(v); } } } },
        plugins: { legend: legendFor(sets.length), tooltip: { callbacks: {
          title: function (items) { return 't = ' + sig(items[0].parsed.x) + ' s'; },
          label: function (c) { return c.dataset.label + ': ' + fmtRate(c.parsed.y) + ' calls/s'; } } } } } };
    },
    latency: function (run) {
      var s = run.series, half = s.pct_bin_s / 2;
      var sets = s.percentiles.map(function (p, k) {
        return { label: p.name, data: p.ns.map(function (y, i) { return { x: s.pct_t[i] + half, y: y }; }),
                 borderColor: pctColors[k % 4], backgroundColor: pctColors[k % 4], borderWidth: 1.5,
                 pointRadius: 0, spanGaps: false };
      });
      return { type: 'line', data: { datasets: sets }, options: {
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        scales: { x: timeAxis(), y: { type: 'logarithmic', title: { display: true, text: 'latency' },
                  ticks: { callback: logTick(fmtNs) }, grid: labelledGrid } },
        plugins: { legend: legendFor(2), tooltip: { callbacks: {
          title: function (items) { return 't = ' + sig(items[0].parsed.x) + ' s'; },
          label: function (c) { return c.dataset.label + ': ' + fmtNs(c.parsed.y); } } } } } };
    },
    histogram: function (run, el) {
      var k = +el.dataset.dist, d = run.dist[k], c = distColors(run)[k];
      var bars = d.bars, ticks = barLabels(bars);
      return { type: 'bar', data: {
          labels: bars.map(function (b) { return fmtNs(b[0]); }),
          datasets: [{ label: d.name, data: bars.map(function (b) { return b[2]; }), error: d.error,
                       backgroundColor: alpha(c, 0.75), borderColor: c,
                       borderWidth: 0, barPercentage: 1.0, categoryPercentage: 1.0 }] },
        options: {
          layout: { padding: { right: 16 } },  // room for a label on the last bars
          scales: { x: { title: { display: true, text: 'latency (log scale)' },
                         ticks: { maxRotation: 0, autoSkip: false,
                                  callback: function (v, i) { return ticks[i] || ''; } },
                         grid: { display: false } },
                    // Whole calls only: a count of 2 must not be labelled 0, 0.5, 1, 1.5, 2.
                    y: { beginAtZero: true, title: { display: true, text: 'calls' },
                         ticks: { precision: 0, maxTicksLimit: 5,
                                  callback: function (v) { return fmtCount(v); } } } },
          plugins: { legend: { display: false }, tooltip: { callbacks: {
            title: function (items) { var b = bars[items[0].dataIndex];
                                      return fmtNs(b[0]) + ' \u2013 ' + fmtNs(b[1]); },
            label: function (c) { return fmtCount(c.parsed.y) + ' calls'; } } } } } };  // (shares of buckets: rounded)
    },
    spectrum: function (run) {
      var colors = distColors(run);
      var sets = run.dist.map(function (d, k) {
        return { label: d.parent ? d.parent + ' \u203a ' + d.name : d.name, error: d.error,
                 data: d.spectrum.map(function (p) { return { x: p[1], y: Math.max(p[2], 1), p: p[0] }; }),
                 borderColor: colors[k], backgroundColor: colors[k], borderWidth: 1.5, pointRadius: 0,
                 stepped: false };
      });
      return { type: 'line', data: { datasets: sets }, options: {
        interaction: { mode: 'nearest', intersect: false },
        scales: {
          x: { type: 'logarithmic', title: { display: true, text: 'percentile' },
               grid: labelledGrid,
               ticks: { maxRotation: 0, autoSkip: false, callback: function (v) {
                 var e = Math.log10(v);
                 if (Math.abs(e - Math.round(e)) > 1e-9) return '';
                 return e < 0.5 ? '0%' : (100 - 100 / v).toFixed(Math.max(0, Math.round(e) - 2)) + '%';
               } } },
          y: { type: 'logarithmic', title: { display: true, text: 'latency' },
               grid: labelledGrid, ticks: { callback: logTick(fmtNs) } } },
        plugins: { legend: legendFor(sets.length), tooltip: { callbacks: {
          label: function (c) { return c.dataset.label + ' ' + fmtPct(c.raw.p) + ': ' + fmtNs(c.parsed.y); } } } } } };
    },
    // Calls/s of each node over time: one line per host, the calls of its ranks, on the
    // series' bins (times on rank 0's clock).
    nodes: function (run) {
      var s = run.series, half = s.bin_s / 2;
      var colors = seriesColors(s.nodes.map(function () { return false; }));
      var sets = s.nodes.map(function (host, k) {
        return { label: host, data: s.node_per_s[k].map(function (y, i) { return { x: s.t[i] + half, y: y }; }),
                 borderColor: colors[k], backgroundColor: colors[k], borderWidth: 1.5, pointRadius: 0,
                 tension: 0 };
      });
      return { type: 'line', data: { datasets: sets }, options: {
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        scales: { x: timeAxis(), y: { beginAtZero: true, title: { display: true, text: 'calls/s' },
                  ticks: { callback: function (v) { return fmtRate(v); } } } },
        plugins: { legend: legendFor(sets.length), tooltip: { callbacks: {
          title: function (items) { return 't = ' + sig(items[0].parsed.x) + ' s'; },
          label: function (c) { return c.dataset.label + ': ' + fmtRate(c.parsed.y) + ' calls/s'; } } } } } };
    },
    ranks: function (run) {
      return balance(run.ranks.map(function (r) { return 'rank ' + r[0]; }),
                     run.ranks.map(function (r) { return r[1]; }),
                     run.ranks.map(function (r) { return r[2]; }));
    },
    threads: function (run) {
      return balance(run.threads.map(function (t) { return 'r' + t[0] + ' t' + t[1]; }),
                     run.threads.map(function (t) { return t[2]; }),
                     run.threads.map(function (t) { return t[3]; }));
    },
    scaling: function () {
      var pts = data.scaling, base = pts[0], w0 = base.ranks * base.threads;
      var maxW = Math.max.apply(null, pts.map(function (p) { return p.ranks * p.threads; }));
      var measured = pts.map(function (p) {
        return { x: p.ranks * p.threads, y: p.per_s, shape: p.ranks + ' \u00d7 ' + p.threads, run: p.run };
      });
      var ideal = [{ x: w0, y: base.per_s }, { x: maxW, y: base.per_s * maxW / w0 }];
      return { type: 'scatter', data: { datasets: [
          { label: 'measured', data: measured, showLine: true, borderColor: color(0),
            backgroundColor: color(0), pointRadius: 4, borderWidth: 2 },
          { label: 'ideal (linear from ' + base.ranks + ' \u00d7 ' + base.threads + ')', data: ideal,
            showLine: true, borderColor: '#98a2b3', backgroundColor: '#98a2b3', borderDash: [6, 4],
            pointRadius: 0, borderWidth: 1.5 }] },
        options: {
          scales: { x: { type: 'linear', beginAtZero: true,
                         title: { display: true, text: 'ranks \u00d7 threads' },
                         ticks: { precision: 0 } },
                    y: { beginAtZero: true, title: { display: true, text: 'calls/s' },
                         ticks: { callback: function (v) { return fmtRate(v); } } } },
          plugins: { legend: { display: true, position: 'bottom' }, tooltip: { callbacks: {
            label: function (c) {
              var r = c.raw;
              return (r.shape ? 'run ' + r.run + ', ' + r.shape + ': ' : 'ideal: ') + fmtRate(r.y) + ' calls/s';
            } } } } } };
    }
  };

  function balance(labels, calls, busy) {
    return { type: 'bar', data: { labels: labels, datasets: [
        { label: 'calls', data: calls, backgroundColor: alpha(color(0), 0.8), yAxisID: 'y',
          maxBarThickness: 48 },
        { label: 'busy time', data: busy, backgroundColor: alpha(color(1), 0.8), yAxisID: 'busy',
          maxBarThickness: 48 }] },
      options: {
        scales: { x: { ticks: { autoSkip: true, maxRotation: 0 }, grid: { display: false } },
                  y: { beginAtZero: true, position: 'left', title: { display: true, text: 'calls' },
                       ticks: { precision: 0, callback: function (v) { return fmtCount(v); } } },
                  busy: { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false },
                          title: { display: true, text: 'busy time' },
                          ticks: { callback: function (v) { return fmtNs(v); } } } },
        plugins: { legend: { display: true, position: 'bottom' }, tooltip: { callbacks: {
          label: function (c) {
            return c.dataset.label + ': ' + (c.dataset.yAxisID === 'busy' ? fmtNs(c.parsed.y) : fmtCount(c.parsed.y));
          } } } } } };
  }

  // A chart counts as drawn when it has data elements and its canvas holds painted pixels.
  function drawn(chart, canvas) {
    var elements = 0;
    chart.data.datasets.forEach(function (d, i) { elements += chart.getDatasetMeta(i).data.length; });
    if (!elements || !canvas.width || !canvas.height) return false;
    var px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (var i = 3; i < px.length; i += 4) if (px[i] !== 0) return true;
    return false;
  }

  var canvases = document.querySelectorAll('canvas[data-chart]'), count = 0;
  Array.prototype.forEach.call(canvases, function (canvas) {
    var kind = canvas.dataset.chart;
    try {
      var build = builders[kind];
      if (!build) throw new Error('no builder');
      var index = +canvas.dataset.run;
      var chart = new Chart(canvas, build(index >= 0 ? data.runs[index] : null, canvas));
      if (drawn(chart, canvas)) { canvas.setAttribute('data-drawn', 'yes'); ++count; }
      else gorgonError('chart "' + kind + '" drew nothing');
    } catch (e) {
      gorgonError('chart "' + kind + '": ' + (e && e.message || e));
    }
  });
  // Resources the page loaded besides itself (none: everything is inline).
  var requests = performance.getEntriesByType('resource').length;
  if (requests) gorgonError(requests + ' resource(s) loaded by the page');
  document.body.setAttribute('data-requests', String(requests));
  document.body.setAttribute('data-charts-expected', String(canvases.length));
  document.body.setAttribute('data-charts-drawn', String(count));
  if (!window.gorgonErrors.length && count === canvases.length)
    document.documentElement.setAttribute('data-render', 'ok');
  else
    document.documentElement.setAttribute('data-render', 'error');
})();
)JS";
}

}  // namespace gorgon::analysis::detail
