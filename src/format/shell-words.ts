// A word of a command line as a POSIX shell reads it back (pure): for the
// commands g prints for people to copy (`g run train.py 'x=[1:2]'`).

/** `word` as is when the shell leaves it alone, else in single quotes. */
export function quoteShellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
