# Many writers, one run: THREADS threads in this process each log LINES scalars
# and LINES messages through one experiment. Start several copies of it with
# the same G_RUN_DIR (as `g run` and its child processes do) to check that no
# line is lost or torn:
#   G_RUN_DIR=~/.g/runs/<id> WRITER=a python3 examples/sdk/concurrent_writers.py
import os
import threading
import g_runs as g

THREADS = int(os.environ.get("THREADS", "8"))
LINES = int(os.environ.get("LINES", "200"))
WRITER = os.environ.get("WRITER", str(os.getpid()))
# Padding makes each line long, so a torn write would show.
PAD = "x" * 120

def write(thread):
    exp = g.current_experiment()
    for i in range(LINES):
        g.log(**{f"w/{WRITER}/{thread}/{PAD}": i}, step=i)
        exp.log(f"writer {WRITER} thread {thread} line {i} {PAD}")

with g.Experiment().run:
    threads = [threading.Thread(target=write, args=(t,)) for t in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
