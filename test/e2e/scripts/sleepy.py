import signal, sys, time
seconds = 30.0
def bye(sig, frame):
    print("got signal %d" % sig, flush=True)
    sys.exit(130)
signal.signal(signal.SIGINT, bye)
print("started", flush=True)
time.sleep(seconds)
print("loss: 1")
