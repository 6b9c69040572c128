// A Node script that takes --name value arguments and prints scalars per step.
const args = process.argv.slice(2);
const get = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const steps = Number(get("steps", "3"));
for (let s = 0; s < steps; s++) console.log(`step: ${s}\nloss: ${1 / (s + 1)}`);
console.log(`run id: ${process.env.G_RUN_ID}`);
console.log(`flags: ${process.env.G_FLAGS}`);
