"""A stand-in for the CNN of W&B's sweep example (standard library only).

Takes the flags of examples/sweep.yaml as --name=value arguments and prints a
made-up `val_loss` once per epoch, lowest for a learning rate near 0.01, the
adam optimizer and a dropout near 0.2:

    g sweep sweep.yaml && g agent SWEEP_ID        (in this folder)
    python3 cnn.py --learning-rate=0.01 --optimizer=adam --dropout=0.2 --epochs=5
"""

import argparse
import math
import random

parser = argparse.ArgumentParser()
parser.add_argument("--learning-rate", type=float, default=0.01)
parser.add_argument("--optimizer", choices=["adam", "sgd"], default="adam")
parser.add_argument("--dropout", type=float, default=0.2)
parser.add_argument("--epochs", type=int, default=10)
args = parser.parse_args()

# The loss this configuration would converge to, and how fast it gets there.
floor = (math.log10(args.learning_rate) + 2) ** 2 + (args.dropout - 0.2) ** 2 + (0.0 if args.optimizer == "adam" else 0.3)
rate = 0.3 if args.optimizer == "adam" else 0.15
rng = random.Random(f"{args.learning_rate}:{args.optimizer}:{args.dropout}")

for epoch in range(1, args.epochs + 1):
    val_loss = floor + 2.0 * math.exp(-rate * epoch) + 0.01 * rng.random()
    print("step: %d" % epoch)
    print("val_loss: %f" % val_loss)
