"""Time to the first screen of the dashboard's analyst view in headless Chromium.

Starts ``scsim serve RUN`` on a free loopback port and opens ``/`` three times in Debian's
Chromium (Playwright, ``executable_path=/usr/bin/chromium``); prints the seconds until the first
four figures are drawn. Issue 6's target: usable within 2 s for a 1M-citizen run.

    scsim run -n 1000000 -t 52 -q --out /tmp/r1m
    python benchmarks/bench_dashboard.py /tmp/r1m
"""
import socket, subprocess, sys, time

RUN = sys.argv[1] if len(sys.argv) > 1 else '/tmp/r1m'
from playwright.sync_api import sync_playwright
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
srv = subprocess.Popen([sys.executable, "-m", "scsim", "serve", RUN, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
import urllib.request
for _ in range(100):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/runs"); break
    except Exception: time.sleep(0.1)
with sync_playwright() as p:
    b = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox","--disable-gpu","--disable-background-networking","--disable-component-update","--no-first-run"])
    for attempt in range(3):
        ctx = b.new_context(); page = ctx.new_page()
        t0 = time.time()
        page.goto(f"http://127.0.0.1:{port}/")
        page.locator('.js-plotly-plot .main-svg').nth(3).wait_for(timeout=20000)
        t1 = time.time()
        n = page.locator('.js-plotly-plot').count()
        print(f"attempt {attempt}: first figures drawn in {t1-t0:.2f}s ({n} plots on the page)")
        ctx.close()
    b.close()
srv.terminate()
