// The seed's "Bayesian optimization" variation (shared/seeds/002) with the
// TypeScript/JavaScript SDK: suggest() / register() over g's own gp, in process.
//   node examples/sdk/bayesian-optimization.mjs     (with the g-runs package installed)
//   g compare -T --prefix alice/bayes-opt-js -M val/accuracy -t 5
import { BayesianOptimization, Experiment } from "g-runs";

const optimizer = new BayesianOptimization({ pbounds: { log_lr: [-4, -1], momentum: [0.5, 0.99] }, randomState: 1 });
const trials = Number(process.env.N_TRIALS ?? 30);

function trainAndEvaluate(params, experiment) {
  // A smooth made-up objective, best near lr = 10^-2.5 and momentum 0.9.
  const accuracy = 0.95 - 0.1 * (params.log_lr + 2.5) ** 2 - (params.momentum - 0.9) ** 2;
  for (let epoch = 0; epoch < 3; epoch++) {
    experiment.metrics("val").log({ accuracy: (accuracy * (epoch + 1)) / 3 });
    experiment.metrics.log({ epoch }).flush();
  }
  return accuracy;
}

for (let trial = 0; trial < trials; trial++) {
  // Get next params from Bayesian optimizer
  const params = await optimizer.suggest();

  await new Experiment({ prefix: `alice/bayes-opt-js/trial-${trial}` }).run(async (experiment) => {
    experiment.params.set(params);
    const accuracy = trainAndEvaluate(params, experiment);

    // Update Bayesian optimizer
    await optimizer.register(params, accuracy);
  });
}

console.log(`best accuracy ${optimizer.max.target.toFixed(4)}`);
