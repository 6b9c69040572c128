x = 0.0
# accuracy peaks at x = 3; printed as a scalar the search maximises
print("accuracy: %f" % (10 - (x - 3) ** 2))
