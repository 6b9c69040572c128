# A trial that proves trials run at the same time without reading a clock:
# it leaves a file named after its x in the folder `meet`, then waits for the
# files of all `parties` trials. Run one after another, the first trial could
# never see the others and gives up after `give_up` seconds with exit 1.
import os
import time

x = 1
meet = ""
parties = 4
give_up = 60.0

open(os.path.join(meet, "trial-%s" % x), "w").close()
print("arrived: %s" % x, flush=True)
deadline = time.monotonic() + give_up
while True:
    seen = len([n for n in os.listdir(meet) if n.startswith("trial-")])
    if seen >= parties:
        break
    if time.monotonic() > deadline:
        print("gave up: saw %d of %d trials" % (seen, parties), flush=True)
        raise SystemExit(1)
    time.sleep(0.02)
print("met: %d" % seen)
print("loss: %s" % x)
