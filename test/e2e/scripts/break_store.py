# Makes g's next write to this run fail (scalars.jsonl becomes a directory), like a full disk would.
import os, sys, time
os.mkdir(os.path.join(os.environ["G_RUN_DIR"], "scalars.jsonl"))
print("loss: 1", flush=True)
time.sleep(20)
print("never reached")
