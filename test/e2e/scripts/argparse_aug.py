# An argparse script whose switch turns a feature off: its flag no-aug says
# whether --no-aug is given (default false), so a search passes it only when asked.
import argparse

parser = argparse.ArgumentParser()
parser.add_argument("--layers", default="[4]")
parser.add_argument("--lr", type=float, default=0.1)
parser.add_argument("--no-aug", dest="aug", action="store_false")
args = parser.parse_args()
print("aug=%s layers=%s" % (args.aug, args.layers))
print("aug: %d" % (1 if args.aug else 0))
print("loss: %f" % args.lr)
