// A Node script meant for `g run`: g passes --lr, and everything the SDK
// records lands in the run g made. Needs the g-runs package resolvable from
// the script (npm install g-runs in the script's project).
//   g run examples/sdk/train-in-g-run.mjs lr=0.5
import { parseArgs } from "node:util";
import { Experiment, flags } from "g-runs";

const { values } = parseArgs({ options: { lr: { type: "string", default: "0.1" } } });
const lr = Number(values.lr);

console.log("flags from g:", JSON.stringify(flags()));
await new Experiment({ prefix: "alice/inside/trial", tags: ["sdk"] }).run((experiment) => {
  // g's own flags win over params of the same name (lr stays what g passed).
  experiment.params.set({ lr, momentum: 0.9 });
  experiment.log("hello from g-runs");
  for (let epoch = 0; epoch < 3; epoch++) {
    experiment.metrics("train").log({ loss: lr / (epoch + 1) });
    experiment.metrics.log({ epoch }).flush();
  }
});
