#!/usr/bin/env python3
"""The HTML reports (preview --format html, show PLAN --format html) as a
browser shows them: headless Chromium loads each page, its DOM after the
scripts ran is checked (the sortable/filterable table really sorts and
filters, driven by a script appended to a copy of the page), a screenshot
and a print to PDF are taken.  Without Chromium the points are skips."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import json

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "emulators"))
from tap import ROOT, Tap, run  # noqa: E402
from mailstore_fixture import Emulator  # noqa: E402

binary = os.path.abspath(sys.argv[1])
t = Tap()
PLAN = os.path.join(ROOT, "tests", "golden", "plans", "sample.plan")
QUALITY = os.path.join(ROOT, "tests", "data", "quality", "profile.json")
chromium = shutil.which("chromium") or shutil.which("chromium-browser")

# Runs after the page's own script (load comes after DOMContentLoaded):
# sorts by user name twice (descending), then filters, and writes what it
# saw into attributes of <body> for --dump-dom.
DRIVER = """<script>window.addEventListener('load', function () {
  var t = document.getElementById('users'), b = document.body;
  var names = function () { return Array.prototype.filter.call(t.tBodies[0].rows,
      function (r) { return !r.hidden; }).map(function (r) {
      return r.cells[0].textContent; }).join(','); };
  var th = t.tHead.rows[0].cells[0];
  th.click(); th.click();
  b.setAttribute('data-sorted-desc', names());
  b.setAttribute('data-aria-sort', th.getAttribute('aria-sort'));
  var f = document.querySelector('input.dg-filter');
  f.value = 'JANE'; f.dispatchEvent(new Event('input'));
  b.setAttribute('data-filtered', names());
});</script>"""


def browser(tmp, args, page):
    profile = tempfile.mkdtemp(dir=tmp)
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu",
           "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--no-first-run", "--user-data-dir=" + profile] + args
    return subprocess.run(cmd + ["file://" + page], capture_output=True, timeout=120)


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def attr(dom, name):
    m = re.search(r'<body[^>]*\s%s="([^"]*)"' % name, dom)
    return m.group(1) if m else None


def self_contained(html):
    """No external resource: nothing loaded by src/href, no @import/url()."""
    return not re.search(r'(src|href)\s*=|@import|url\(', html, re.I)


API_PW = "CANARY-reports-api-3f9c"


def live_plan(tmp):
    """plan against the MailStore emulator (demo directory: skips and a
    conflict; on the server one user with an old full name and address,
    one under an old name, one to delete), and the same plan saved."""
    demo = os.path.join(ROOT, "examples", "demo", "profile.json")
    users = json.loads(run(binary, ["preview", demo, "--format", "json"]).stdout)["users"]
    first, second = users[0], users[1]
    server = [dict(first, fullName="Old Name", emailAddresses=["old@contoso.com"] +
                   first["emailAddresses"][:1], authentication="directoryServices"),
              {"userName": "legacy42", "fullName": second["fullName"],
               "emailAddresses": second["emailAddresses"][:1],
               "authentication": "directoryServices"},
              {"userName": "left.company", "fullName": "Left", "authentication":
               "directoryServices", "distinguishedName": "CN=Left,DC=contoso,DC=com"}]
    with open(demo) as f:
        prof = json.load(f)
    prof.pop("$schema", None)
    prof["directory"]["snapshot"] = os.path.join(ROOT, "examples/demo/directory.ldif")
    prof["sync"]["deleteUsers"] = True
    env = {"DG_T_API_PW": API_PW, "SOURCE_DATE_EPOCH": "1767225600"}
    with Emulator(users=server, config={"server": "old-dc.contoso.com"},
                  password=API_PW, tmp=tempfile.mkdtemp(dir=tmp)) as emu:
        prof["target"] = {"url": emu.url, "user": "admin", "password": {"env": "DG_T_API_PW"},
                          "tls": {"caFile": emu.ca_file}}
        path = os.path.join(tmp, "live.json")
        with open(path, "w") as f:
            json.dump(prof, f)
        saved = os.path.join(tmp, "live.plan")
        text = run(binary, ["plan", path], env=env, cwd=tmp)
        html = run(binary, ["plan", path, "--format", "html"], env=env, cwd=tmp)
        out = run(binary, ["plan", path, "--out", saved], env=env, cwd=tmp)
    return first, text, html, out, saved, env


def test_live(tmp):
    first, text, html, out, saved, env = live_plan(tmp)
    plan_text = text.stdout.decode()
    t.check(text.returncode == 0 and
            'full name: "Old Name" \u2192 "%s"' % first["fullName"] in plan_text and
            "- e-mail address old@contoso.com" in plan_text and
            ", 1 rename, 1 to delete," in plan_text and
            "conflicts in the directory (" in plan_text,
            "plan text: updates as a diff, '1 rename', the preview's conflicts",
            plan_text + text.stderr.decode())
    shown = run(binary, ["show", saved], env=env)
    t.check(out.returncode == 0 and shown.returncode == 0 and shown.stdout == out.stdout and
            shown.stdout.decode() == plan_text,
            "show PLAN prints what plan printed", shown.stdout.decode() + shown.stderr.decode())
    shown = run(binary, ["show", saved, "--format", "html"], env=env)
    t.check(html.returncode == 0 and shown.stdout == html.stdout and b"<!DOCTYPE" in html.stdout,
            "show PLAN --format html is plan --format html's page",
            shown.stderr.decode() + html.stderr.decode())
    t.check(API_PW.encode() not in html.stdout + shown.stdout,
            "the plan page holds no secret")
    return html.stdout.decode()


p = run(binary, ["show", PLAN, "--format", "html"])
plan_html = p.stdout.decode()
t.check(p.returncode == 0 and self_contained(plan_html) and "@media print" in plan_html,
        "show --format html: one self-contained page with print CSS", plan_html[:400])
p = run(binary, ["preview", QUALITY, "--format", "html"])
preview_html = p.stdout.decode()
t.check(self_contained(preview_html) and 'class="conflict"' in preview_html,
        "preview --format html: self-contained, conflicts marked on users", preview_html[-800:])

with tempfile.TemporaryDirectory() as tmp:
    live_html = test_live(tmp)
    if not chromium:
        for name in ("plan page DOM after scripts", "sort and filter", "screenshot", "print"):
            t.skip(name, "chromium is not installed (scripts/install-deps.sh installs it)")
        t.done()
    page = os.path.join(tmp, "plan.html")
    write(page, plan_html.replace("</body>", DRIVER + "</body>").encode())
    r = browser(tmp, ["--dump-dom"], page)
    dom = r.stdout.decode()
    t.check('data-dg-script="ready"' in dom and 'class="dg-filter"' in dom,
            "plan page: its script ran (marker, filter box added)", r.stderr.decode()[-800:])
    t.check(attr(dom, "data-sorted-desc") == "sam,left.company,john.smith,jane,bob,anna.new"
            and attr(dom, "data-aria-sort") == "descending",
            "plan page: two clicks on 'User name' sort the users descending",
            "%s %s" % (attr(dom, "data-sorted-desc"), attr(dom, "data-aria-sort")))
    t.check(attr(dom, "data-filtered") == "jane",
            "plan page: the filter box keeps only matching rows (any case)",
            str(attr(dom, "data-filtered")))
    bars = re.findall(r'<span class="label">([^<]*)</span><span class="fill" '
                      r'style="width:(\d+)px"></span><span class="count">(\d+)</span>', dom)
    t.check(bars == [("disabled", "301", "3"), ("no-email", "101", "1")],
            "plan page: skipped entries by reason as a bar chart with counts", str(bars))
    t.check(re.search(r'<tr class="update conflict"[^>]*><td>sam</td>'
                      r'(?:(?!</tr>).)*conflict: duplicate-email', dom, re.S) is not None and "Jane Doe" in dom and "2026-12-01T09:30:00Z" in dom
            and "snapshot contoso.ldif" in dom and "rename first with" in dom and
            "<h2>Data quality (0 errors, 1 warning; 'dirgate preview' lists each)</h2>" in dom and "fix: Give the user" in dom,
            "plan page: conflict on its user, diff, date, source, finding hints, data quality",
            dom[-1500:])

    # Without its script (as with scripts off): every row, in the order
    # written, no filter box.
    page = os.path.join(tmp, "plan-noscript.html")
    write(page, re.sub(r"<script>.*?</script>", "", plan_html, flags=re.S).encode())
    r = browser(tmp, ["--dump-dom"], page)
    dom = r.stdout.decode()
    rows = re.findall(r'<tr class="[a-z ]+"><td>([^<]*)</td>', dom)
    t.check(rows == ["anna.new", "bob", "jane", "john.smith", "left.company", "sam"] and
            'class="dg-filter"' not in dom and "data-dg-script" not in dom,
            "plan page without its script: every user row, no filter box", str(rows))

    page = os.path.join(tmp, "preview.html")
    write(page, preview_html.encode())
    r = browser(tmp, ["--dump-dom"], page)
    dom = r.stdout.decode()
    t.check('data-dg-script="ready"' in dom and dom.count("<tr") >= 20,
            "preview page: script ran, users table present", r.stderr.decode()[-800:])

    page = os.path.join(tmp, "live.html")
    write(page, live_html.encode())
    r = browser(tmp, ["--dump-dom"], page)
    dom = r.stdout.decode()
    t.check('data-dg-script="ready"' in dom and 'id="skipped-chart"' in dom and
            'id="conflicts"' in dom,
            "live plan page: script ran, skip chart and conflicts present",
            r.stderr.decode()[-800:] + dom[-800:])

    shot = os.path.join(tmp, "plan.png")
    r = browser(tmp, ["--screenshot=" + shot, "--window-size=1200,900"],
                os.path.join(tmp, "plan.html"))
    png = open(shot, "rb").read() if os.path.exists(shot) else b""
    size = (int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big"))
    t.check(png[:8] == b"\x89PNG\r\n\x1a\n" and size == (1200, 900) and len(png) > 20000,
            "plan page: a 1200x900 screenshot with content", "%s %d" % (size, len(png)))
    if os.environ.get("DG_REPORTS_KEEP"):
        shutil.copy(shot, os.environ["DG_REPORTS_KEEP"])

    pdf = os.path.join(tmp, "plan.pdf")
    r = browser(tmp, ["--print-to-pdf=" + pdf, "--no-pdf-header-footer"],
                os.path.join(tmp, "plan.html"))
    data = open(pdf, "rb").read() if os.path.exists(pdf) else b""
    t.check(data[:5] == b"%PDF-" and len(data) > 5000, "plan page prints (PDF)",
            r.stderr.decode()[-800:])
t.done()
