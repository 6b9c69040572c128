// Prints the arguments it was given as one JSON line, so a test can see exactly what reached the script.
console.log(`argv: ${JSON.stringify(process.argv.slice(2))}`);
