# Prints the arguments a W&B-style sweep trial receives, and a made-up loss.
import argparse
import math

parser = argparse.ArgumentParser()
for name in ["lr", "batch_size", "dropout", "epochs", "augment", "layers", "optimizer"]:
    parser.add_argument("--" + name)
args = parser.parse_args()
for name, value in vars(args).items():
    print("%s = %s" % (name, value))
print("loss: %f" % abs(math.log10(float(args.lr)) + 3))
