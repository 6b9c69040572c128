// The tree-ensemble optimizers (`--optimizer forest` and `--optimizer gbrt`,
// Guild's skopt-based ones, written for g): a surrogate of many regression
// trees instead of a Gaussian process, so they cost little per trial, take
// choices and integers as they are, and do not assume the objective is
// smooth. Pure: randomness comes in as an Rng; they always MINIMISE.
//
// This module is their public face; the parts live in trees/: tree.ts (one
// regression tree), forest.ts (extra-trees forest, mean and spread),
// boosting.ts (gradient-boosted quantile regressor), acquisition.ts
// (candidates and EI/LCB/PI, the proposal) and settings.ts (defaults, help,
// --opt-flag parsing).

export {
  DEFAULT_FOREST_SETTINGS,
  DEFAULT_GBRT_SETTINGS,
  defaultTreeSettings,
  ONE_FLAG_GBRT_ACQUISITION,
  parseTreeSettings,
  treeSettingsHelp,
  type TreeAcquisition,
  type TreeSettings,
  type TreeSurrogate,
} from "./trees/settings.js";
export { fitTree, findLeaf, predictTree, type Tree, type TreeOptions } from "./trees/tree.js";
export { fitForest, predictForest, type Belief, type Forest } from "./trees/forest.js";
export { fitQuantileBoosting, predictBoosting, predictQuantiles, quantile, type QuantileBoosting } from "./trees/boosting.js";
export { acquisitionValue, normalQuantile, normalScores, proposeTrees, sampleCandidates } from "./trees/acquisition.js";
