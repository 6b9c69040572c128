import time
print("started", flush=True)
time.sleep(30)
print("loss: 1")
