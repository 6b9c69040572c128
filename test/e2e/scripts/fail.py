x = 1
print("loss: 2.5")
raise SystemExit("failing on purpose (x=%s)" % x)
