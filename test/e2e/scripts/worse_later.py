# loss is x, or 100 + x once a file named `worse` exists in the working
# directory: a restart's trials are then all worse than the first session's.
import os

x = 0.0
print("loss: %f" % ((100 if os.path.exists("worse") else 0) + x))
