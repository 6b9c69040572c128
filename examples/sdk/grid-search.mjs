// The grid search of shared/seeds/002 with the TypeScript/JavaScript SDK:
// 9 experiments (lr x batch size), each its own g run.
//   node examples/sdk/grid-search.mjs     (with the g-runs package installed)
//   g compare
import { Experiment } from "g-runs";

async function trainWithConfig(lr, batchSize, experiment) {
  let finalAccuracy = 0;
  for (let epoch = 0; epoch < 10; epoch++) {
    // Simulate: lower lr = better but slower convergence
    const loss = (1.0 / (epoch + 1)) * (lr / 0.01) + (Math.random() * 0.1 - 0.05);
    // Simulate: larger batch size = slightly worse performance
    const accuracy = Math.min(0.95, 0.5 + epoch * 0.05 * (32 / batchSize));

    experiment.metrics("train").log({ loss, accuracy });
    experiment.metrics.log({ epoch }).flush();
    finalAccuracy = accuracy;
  }
  return finalAccuracy;
}

const results = [];
for (const lr of [0.1, 0.01, 0.001]) {
  for (const bs of [16, 32, 64]) {
    const name = `search-lr${lr}-bs${bs}`;
    const accuracy = await new Experiment({
      prefix: `alice/hyperparameter-search/${name}`,
      description: `Grid search: lr=${lr}, batch_size=${bs}`,
      tags: ["grid-search", `lr-${lr}`, `bs-${bs}`],
    }).run(async (experiment) => {
      experiment.params.set({ learning_rate: lr, batch_size: bs, optimizer: "sgd", epochs: 10 });
      experiment.log(`Starting training with lr=${lr}, bs=${bs}`);
      const acc = await trainWithConfig(lr, bs, experiment);
      experiment.log(`Final accuracy: ${acc.toFixed(4)}`);
      return acc;
    });
    results.push({ lr, bs, accuracy });
  }
}

const best = results.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
console.log(`Best configuration: lr=${best.lr} bs=${best.bs} accuracy=${best.accuracy.toFixed(4)}`);
