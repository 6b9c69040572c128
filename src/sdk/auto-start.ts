// ml_dash's `dxp` for the TypeScript SDK: `import { dxp } from "g-runs/auto-start"`.
// A ready-made Experiment under ml_dash's default prefix
// (`{user}/scratch/{now:%Y/%m-%d}/{path_stem}/{now:%H.%M.%S}/{job_counter:03d}`),
// not started on import: `await dxp.run(async () => ...)`, `dxp.run.start()`,
// or any write starts it, and a run left open is ended when the process exits.
// A module of its own, as in ml_dash, so importing g-runs makes no experiment.

import { Experiment } from "./experiment.js";
import { DEFAULT_PREFIX } from "./templates.js";

export const dxp = new Experiment({ prefix: DEFAULT_PREFIX });
