#!/usr/bin/env python3
"""Renders gorgon_report's HTML reports in headless Chromium, at a desktop's width (1400 px)
and a phone's (390 px), and checks what a reader would see.

    check_html_render.py [--fixture PROGRAM DIR] [PAGE.html ...]

One headless Chromium is driven over its DevTools pipe (--remote-debugging-pipe): each page
is loaded in a tab whose viewport is set to the width (Emulation.setDeviceMetricsOverride;
a headless window cannot be narrower than 500 px), and a probe of this test's own measures
it once the page's scripts have drawn it. At each width:
  - the page reports data-render="ok", every chart drawn, no script error, no request made
    (it counts its resource loads; a request its Content-Security-Policy blocked is an error);
  - every canvas has painted pixels and lies within the viewport;
  - nothing reaches past the viewport's sides except inside a scroll container;
  - histograms and the calls per rank and thread: no two y-axis ticks carry the same label
    (whole calls only); histograms have at least two x labels;
  - the lines and bars of a chart have distinct colours, error series (labels the run
    counts as failures) reds and oranges, the others not;
  - no element came from the file's strings (the hostile label is an <img onerror>).
  - a run on several hosts: its node table comes with a chart of calls over time per node
    with one line per host of the table (suite.html must have one).

--fixture runs `PROGRAM DIR` (report_html_fixture), checks DIR/suite.html, hostile.html,
single.html and errors.html, and checks that DIR/broken.html, wrong in each of the ways
above, fails each check: the checks can fail. --screenshots saves PAGE.WIDTH.png of each
whole page. DOM dumps (PAGE.WIDTH.dom) stay next to the pages. Exits 77 (CTest
SKIP_RETURN_CODE) only when no Chromium is installed.
"""
import argparse
import base64
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile

WIDTHS = (1400, 390)

# Evaluated in the page once it has loaded (DevTools' evaluation is not bound by the page's
# Content-Security-Policy); resolves to the findings after the layout has settled.
PROBE = r"""new Promise(function (resolve) { setTimeout(function () {
  var vw = document.documentElement.clientWidth;
  var out = { viewport: vw, render: document.documentElement.getAttribute('data-render'),
              expected: +document.body.getAttribute('data-charts-expected'),
              drawn: +document.body.getAttribute('data-charts-drawn'),
              requests: document.body.getAttribute('data-requests'),
              errors: (window.gorgonErrors || []).slice(),
              page_width: document.documentElement.scrollWidth, overflow: [], charts: [] };
  function name(el) {
    return el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
           (el.className && typeof el.className === 'string' ? '.' + el.className.trim().replace(/\s+/g, '.') : '');
  }
  function inScroller(el) {
    for (var p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      var o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll' || o === 'hidden') return true;
    }
    return false;
  }
  Array.prototype.forEach.call(document.body.querySelectorAll('*'), function (el) {
    var r = el.getBoundingClientRect();
    if (!r.width && !r.height) return;
    if ((r.right > vw + 0.5 || r.left < -0.5) && !inScroller(el))
      out.overflow.push(name(el) + ' [' + Math.round(r.left) + ', ' + Math.round(r.right) + ']');
  });
  function painted(canvas) {
    if (!canvas.width || !canvas.height) return false;
    var px = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (var i = 3; i < px.length; i += 4) if (px[i] !== 0) return true;
    return false;
  }
  function label(t) { return Array.isArray(t.label) ? t.label.join(' ') : String(t.label === undefined ? '' : t.label); }
  Array.prototype.forEach.call(document.querySelectorAll('canvas[data-chart]'), function (canvas) {
    var chart = window.Chart && Chart.getChart(canvas), r = canvas.getBoundingClientRect();
    var c = { kind: canvas.getAttribute('data-chart'), run: canvas.getAttribute('data-run'),
              dist: canvas.getAttribute('data-dist'), left: r.left, right: r.right,
              width: r.width, painted: painted(canvas) };
    if (chart) {
      c.colors = chart.data.datasets.map(function (d) { return String(d.borderColor); });
      c.error = chart.data.datasets.map(function (d) { return !!d.error; });
      c.names = chart.data.datasets.map(function (d) { return String(d.label); });
      if (chart.scales.y) c.y_ticks = chart.scales.y.ticks.map(label);
      if (chart.scales.x) c.x_labels = chart.scales.x.ticks.map(label).filter(function (s) { return s !== ''; });
    }
    out.charts.push(c);
  });
  out.node_tables = Array.prototype.map.call(document.querySelectorAll('table.nodes'), function (t) {
    return { run: t.getAttribute('data-run'),
             hosts: Array.prototype.map.call(t.querySelectorAll('tr.node'), function (r) {
               return r.getAttribute('data-host'); }) };
  });
  out.dom = document.documentElement.outerHTML;
  resolve(JSON.stringify(out));
}, 300); })"""


class Chromium:
    """One headless Chromium, driven over --remote-debugging-pipe (JSON messages ending in a
    NUL byte; it reads commands on its fd 3 and writes on its fd 4)."""

    TIMEOUT = 60  # seconds without an answer: the check fails instead of hanging

    def __init__(self, program):
        to_child, self._send = os.pipe()
        self._recv, from_child = os.pipe()

        def pipes():  # in the child: the ends Chromium uses become its fds 3 and 4
            a, b = os.dup(to_child), os.dup(from_child)  # above 4: neither is overwritten
            os.dup2(a, 3)
            os.dup2(b, 4)

        self._profile = tempfile.mkdtemp()
        self._log = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(
            [program, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--hide-scrollbars", "--remote-debugging-pipe",
             "--user-data-dir=" + self._profile, "about:blank"],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log,
            preexec_fn=pipes, close_fds=False)
        os.close(to_child)
        os.close(from_child)
        self._buffer, self._next_id, self._events = b"", 0, []

    def close(self):
        try:
            self.call("Browser.close")
        except Exception:
            pass
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        os.close(self._send)
        os.close(self._recv)
        shutil.rmtree(self._profile, ignore_errors=True)

    def _message(self):
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._recv], [], [], self.TIMEOUT)
            chunk = os.read(self._recv, 1 << 20) if ready else b""
            if not chunk:
                raise RuntimeError("chromium stopped answering")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method, session=None, **params):
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._send, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._message()
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise RuntimeError("%s: %s" % (method, answer["error"].get("message")))
                return answer.get("result", {})
            self._events.append(answer)

    def wait_for(self, method, session):
        while True:
            for i, e in enumerate(self._events):
                if e.get("method") == method and e.get("sessionId") == session:
                    del self._events[i]
                    return e
            self._events.append(self._message())

    def probe(self, page, width, screenshot=None):
        """The probe's findings on `page` shown `width` CSS pixels wide."""
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        try:
            self.call("Emulation.setDeviceMetricsOverride", session, width=width, height=1000,
                      deviceScaleFactor=1, mobile=False)
            self.call("Page.enable", session)
            self.call("Page.navigate", session, url="file://" + os.path.realpath(page))
            self.wait_for("Page.loadEventFired", session)
            result = self.call("Runtime.evaluate", session, expression=PROBE, awaitPromise=True,
                               returnByValue=True)
            if "exceptionDetails" in result:
                raise RuntimeError("the probe failed: %s" % result["exceptionDetails"].get("text"))
            if screenshot:
                height = self.call("Page.getLayoutMetrics", session)["cssContentSize"]["height"]
                self.call("Emulation.setDeviceMetricsOverride", session, width=width,
                          height=int(min(height, 16000)), deviceScaleFactor=1, mobile=False)
                png = self.call("Page.captureScreenshot", session, format="png")["data"]
                with open(screenshot, "wb") as f:
                    f.write(base64.b64decode(png))
            return json.loads(result["result"]["value"])
        finally:
            self.call("Target.closeTarget", targetId=target)


def find_chromium():
    env = os.environ.get("CHROMIUM")
    if env:
        return env
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def rgb(color):
    """(r, g, b) of '#rrggbb' or 'rgba(r,g,b,a)'; None for anything else."""
    m = re.fullmatch(r"#([0-9a-fA-F]{6})", color.strip())
    if m:
        n = int(m.group(1), 16)
        return n >> 16, (n >> 8) & 255, n & 255
    m = re.fullmatch(r"rgba?\((\d+),\s*(\d+),\s*(\d+)(?:,\s*[\d.]+)?\)", color.strip())
    return tuple(int(x) for x in m.groups()) if m else None


def warm(color):
    """Whether a colour is a red or an orange: a saturated hue within 30 degrees below red
    and 50 above."""
    c = rgb(color)
    if c is None:
        return False
    r, g, b = (x / 255 for x in c)
    hi, lo = max(r, g, b), min(r, g, b)
    if hi - lo < 0.25:
        return False  # a grey
    if hi == r:
        hue = (60 * (g - b) / (hi - lo)) % 360
    elif hi == g:
        hue = 60 * (b - r) / (hi - lo) + 120
    else:
        hue = 60 * (r - g) / (hi - lo) + 240
    return hue >= 330 or hue <= 50


def node_problems(probe, expect_nodes):
    """The per-node view: each run's node table (a row per host) comes with one chart of
    calls over time per node, a line per host of the table, when the run has time series."""
    found = []
    if expect_nodes and not probe["node_tables"]:
        found.append(("nodes", "no node table on a page of runs on several hosts"))
    for table in probe["node_tables"]:
        run = table["run"]
        if len(table["hosts"]) < 2:
            found.append(("nodes", "run %s: a node table of %d host(s)" % (run, len(table["hosts"]))))
        if not any(c["kind"] == "throughput" and c["run"] == run for c in probe["charts"]):
            continue  # no time series: no chart over time
        charts = [c for c in probe["charts"] if c["kind"] == "nodes" and c["run"] == run]
        if len(charts) != 1:
            found.append(("nodes", "run %s: %d charts of calls per node" % (run, len(charts))))
        elif charts[0].get("names") != table["hosts"]:
            found.append(("nodes", "run %s: the node chart's lines %s, the table's hosts %s"
                          % (run, charts[0].get("names"), table["hosts"])))
    return found


def problems(probe, width, expect_nodes=False):
    """Every failed check of one rendering, as (check, message) pairs."""
    found = node_problems(probe, expect_nodes)
    dom = probe["dom"]
    if probe["render"] != "ok":
        found.append(("render", 'data-render="%s": %s' % (probe["render"], "; ".join(probe["errors"]))))
    if not probe["expected"]:
        found.append(("render", "no chart on the page"))
    if probe["drawn"] != probe["expected"]:
        found.append(("render", "%s of %s charts drawn" % (probe["drawn"], probe["expected"])))
    if probe["requests"] != "0":
        found.append(("requests", "the page loaded %s resources" % probe["requests"]))
    if '<pre id="gorgon-errors" hidden=""></pre>' not in dom:
        found.append(("render", "the error box is not empty and hidden"))
    if "<img" in dom:
        found.append(("inert", "an <img> element appeared in the DOM"))
    if probe["viewport"] != width:
        found.append(("layout", "the viewport is %s px wide, not %d" % (probe["viewport"], width)))
    if probe["page_width"] > probe["viewport"]:
        found.append(("overflow", "the page is %s px wide in a %s px viewport"
                      % (probe["page_width"], probe["viewport"])))
    if probe["overflow"]:
        found.append(("overflow", "past the viewport, outside a scroll container: "
                      + ", ".join(probe["overflow"][:5])))
    for c in probe["charts"]:
        where = "%s chart (run %s%s)" % (c["kind"], c["run"],
                                         ", distribution %s" % c["dist"] if c["dist"] else "")
        if not c["painted"]:
            found.append(("render", where + ": nothing painted"))
        if c["left"] < -0.5 or c["right"] > probe["viewport"] + 0.5:
            found.append(("overflow", "%s: canvas at [%d, %d] in a %d px viewport"
                          % (where, c["left"], c["right"], probe["viewport"])))
        if "colors" not in c:
            continue
        ticks = c.get("y_ticks", [])
        if c["kind"] in ("histogram", "ranks", "threads") and len(set(ticks)) != len(ticks):
            found.append(("ticks", where + ": y ticks repeat a label: " + ", ".join(ticks)))
        if c["kind"] == "histogram":
            if len(c.get("x_labels", [])) < 2:
                found.append(("x-labels", where + ": x labels %s" % c.get("x_labels")))
        if c["kind"] in ("spectrum", "throughput", "latency", "nodes") and len(set(c["colors"])) != len(c["colors"]):
            found.append(("colors", where + ": %d lines, %d colours"
                          % (len(c["colors"]), len(set(c["colors"])))))
        if c["kind"] in ("spectrum", "throughput", "histogram"):
            for name, color, error in zip(c["names"], c["colors"], c["error"]):
                if error != warm(color):
                    found.append(("colors", "%s: %s %s is %s" % (
                        where, "error series" if error else "series", name, color)))
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fixture", nargs=2, metavar=("PROGRAM", "DIR"))
    ap.add_argument("--screenshots", action="store_true", help="save PAGE.WIDTH.png of each page")
    ap.add_argument("pages", nargs="*")
    args = ap.parse_args()
    pages, broken = list(args.pages), None
    node_pages = set()  # pages that must show the per-node view
    if args.fixture:
        program, directory = args.fixture
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory)
        if subprocess.run([program, directory]).returncode != 0:
            print("FAIL: %s could not write the reports" % program)
            return 1
        pages = [os.path.join(directory, n) for n in
                 ("suite.html", "hostile.html", "single.html", "errors.html")] + pages
        broken = os.path.join(directory, "broken.html")
        node_pages = {os.path.join(directory, "suite.html"), broken}
    if not pages:
        ap.error("no page to check")
    chromium = find_chromium()
    if not chromium:
        print("SKIP: no chromium found (scripts/setup.sh installs it; or set CHROMIUM=/path)")
        return 77

    jobs = [(p, w) for p in pages + ([broken] if broken else []) for w in WIDTHS]
    results = {}
    browser = Chromium(chromium)
    try:
        for page, width in jobs:
            try:
                shot = "%s.%d.png" % (page, width) if args.screenshots else None
                probe = browser.probe(page, width, shot)
                with open("%s.%d.dom" % (page, width), "w", encoding="utf-8") as f:
                    f.write(probe["dom"])
                results[(page, width)] = problems(probe, width, page in node_pages)
            except RuntimeError as e:
                results[(page, width)] = [("chromium", str(e))]
                if "stopped answering" in str(e):
                    break
    finally:
        browser.close()

    failures = 0
    for page, width in jobs:
        found = results.get((page, width), [("chromium", "not rendered: chromium stopped")])
        name = "%s at %d px" % (os.path.basename(page), width)
        if page == broken:
            # Each check must have failed here (the error box and requests are shown by the
            # render check, the hostile strings by hostile.html).
            seen = {check for check, _ in found}
            missing = {"render", "overflow", "ticks", "x-labels", "colors", "nodes"} - seen
            if missing:
                failures += 1
                print("FAIL: %s: not reported as failing: %s" % (name, ", ".join(sorted(missing))))
            else:
                print("%s: fails every check, as it must (%d findings)" % (name, len(found)))
            continue
        for check, message in found:
            failures += 1
            print("FAIL: %s: [%s] %s" % (name, check, message))
        if not found:
            print("%s: every chart drawn and within the page, ticks, labels and colours right" % name)
    if failures:
        print("%d check(s) failed; the pages, probe copies and DOM dumps (*.dom) are in place" % failures)
        return 1
    print("OK: at %s px every chart drawn, nothing overflows, ticks and colours distinct, "
          "no request, hostile strings inert" % " and ".join(str(w) for w in WIDTHS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
