"""Runs one example file as __main__, then waits (bounded) for the threads it
started, so that a daemon worker thread gets to finish its work. Exit status
0 when the example's main code ran without an exception."""

import runpy
import sys
import threading
import time

path, wait = sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 20.0
runpy.run_path(path, run_name="__main__")
sys.stdout.flush()
deadline = time.monotonic() + wait
for t in threading.enumerate():
    if t is not threading.main_thread() and not t.name.startswith("natsgw") and t.name != "ThreadPoolExecutor":
        t.join(max(0.0, deadline - time.monotonic()))
print("--- example finished", flush=True)
