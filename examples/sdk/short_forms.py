# The SDK's short forms in a script meant for `g run`: the flags come from
# g.flags() (no argparse, no globals), the metrics go out through g.log.
#   g run examples/sdk/short_forms.py lr=0.3
#   g run examples/sdk/short_forms.py lr=[0.01,0.03,0.1]   # a grid of three runs
# g reads the names the script asks g.flags() for (lr, epochs), so
# `g run ... --help-flags` lists them and a misspelt `lrr=0.3` is refused.
import g_runs as g

flags = g.flags()
lr = flags.get("lr", 0.1)
epochs = flags.get("epochs", 5)

for epoch in range(epochs):
    # a made-up loss that is lowest for lr near 0.03 and falls with training
    loss = abs(lr - 0.03) * 10 + 1 / (epoch + 1)
    g.log(loss=loss, step=epoch)
