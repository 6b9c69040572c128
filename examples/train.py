"""Guild AI's quick-start mock training script (standard library only).

The flags are module-level globals: g replaces them when it runs the script,
e.g. `g run examples/train.py x=-0.3 noise=0`. The loss is lowest near
x = -0.29.
"""

import math
import random

x = 0.1
noise = 0.1

loss = math.sin(5 * x) * (1 - math.tanh(x ** 2)) + noise * random.gauss(0, 1)

print("loss: %f" % loss)
