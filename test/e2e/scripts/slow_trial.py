import time
x = 1
seconds = 1.0
start = time.time()
print("start: %f" % start, flush=True)
time.sleep(seconds)
print("end: %f" % time.time())
print("loss: %f" % x)
