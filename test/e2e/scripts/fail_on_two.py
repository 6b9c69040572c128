x = 1
if x == 2:
    raise SystemExit("x=2 is not allowed")
print("loss: %f" % (x * 0.5))
