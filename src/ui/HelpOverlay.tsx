// The `?` overlay: every key and what it does (the list lives in keys.ts).

import { Box, Text } from "ink";
import { KEY_HELP } from "./keys.js";

export function HelpOverlay() {
  const w = Math.max(...KEY_HELP.map(([k]) => k.length));
  return (
    <Box borderStyle="round" flexDirection="column" paddingX={1}>
      <Text bold>g compare keys</Text>
      {KEY_HELP.map(([keys, what]) => (
        <Text key={keys}>
          <Text bold>{keys.padEnd(w)}</Text> {what}
        </Text>
      ))}
      <Text dimColor>? or Esc closes this help</Text>
    </Box>
  );
}
