"""A small argparse script in the style of the Grid.ai examples.

    g run examples/main.py --alpha "uniform(1e-5, 1e-1, 3)" --beta "[1, 2, 3, 4]"
"""

import argparse
import math

parser = argparse.ArgumentParser()
parser.add_argument("--alpha", type=float, default=0.01)
parser.add_argument("--beta", type=int, default=1)
parser.add_argument("--layers", type=int, default=2)
parser.add_argument("--learning_rate", type=float, default=0.01)
parser.add_argument("--batch_size", type=int, default=32)
parser.add_argument("--model", type=str, default="resnet18")
parser.add_argument("--do_something", action="store_true")
args = parser.parse_args()

loss = abs(math.log10(args.alpha) + 2) + 0.1 * args.beta + 0.01 * args.layers
print("model: %s do_something: %s" % (args.model, args.do_something))
print("loss: %f" % loss)
print("accuracy: %f" % (1 / (1 + loss)))
