#!/usr/bin/env python3
"""Headless Chromium driven by Selenium for the web surface's tests (Debian's chromium and
chromium-driver, Selenium from PyPI).

Reads one JSON command per line on standard input and prints one JSON line per command:
  {"op": "open", "client": "a", "url": URL, "width": W, "height": H}   a browser window (a phone, a tablet)
  {"op": "js", "client": "a", "script": JS}                              runs JS, prints what it returns
  {"op": "wait", "client": "a", "expression": JS, "timeout": S}         until the expression is true
  {"op": "shot", "client": "a", "path": FILE}                            a screenshot (PNG)
  {"op": "quit"}
Each answer is {"ok": true, "value": ...} or {"ok": false, "error": "..."}; the browser's console
errors come with every answer ("console"). Exits 3 when Chromium cannot start.
"""
import json
import shutil
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service


def browser(width, height):
    options = Options()
    for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=%d,%d" % (width, height)]:
        options.add_argument(a)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    d = webdriver.Chrome(service=Service(driver_path), options=options)
    d.set_window_size(width, height)
    return d


def console(d):
    try:
        return [e["message"] for e in d.get_log("browser") if e.get("level") == "SEVERE" and "favicon" not in e["message"]]
    except Exception:
        return []


def main():
    clients = {}
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        command = json.loads(line)
        op = command.get("op")
        if op == "quit":
            break
        try:
            d = clients.get(command.get("client"))
            if op == "open":
                if d is None:
                    try:
                        d = browser(command.get("width", 390), command.get("height", 844))
                    except Exception as e:
                        print(json.dumps({"ok": False, "error": "chromium did not start: %s" % e}), flush=True)
                        return 3
                    clients[command["client"]] = d
                else:
                    d.set_window_size(command.get("width", 390), command.get("height", 844))
                d.get(command["url"])
                answer = {"ok": True, "value": d.title}
            elif op == "js":
                answer = {"ok": True, "value": d.execute_script(command["script"])}
            elif op == "wait":
                deadline = time.monotonic() + command.get("timeout", 60)
                while not d.execute_script("return !!(%s)" % command["expression"]):
                    if time.monotonic() > deadline:
                        raise TimeoutError("still false after %s s: %s" % (command.get("timeout", 60), command["expression"]))
                    time.sleep(0.1)
                answer = {"ok": True, "value": True}
            elif op == "shot":
                answer = {"ok": d.save_screenshot(command["path"])}
            else:
                answer = {"ok": False, "error": "unknown op %s" % op}
            answer["console"] = console(d) if d else []
        except Exception as e:
            answer = {"ok": False, "error": str(e).splitlines()[0] if str(e) else type(e).__name__}
        print(json.dumps(answer), flush=True)
    for d in clients.values():
        d.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
