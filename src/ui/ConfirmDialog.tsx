// Asks before moving runs to the trash.

import { Box, Text } from "ink";

export function ConfirmDialog({ ids }: { ids: string[] }) {
  const n = ids.length;
  const shown = ids
    .slice(0, 5)
    .map((id) => id.slice(0, 8))
    .join(" ");
  return (
    <Box borderStyle="round" paddingX={1}>
      <Text>
        Delete {n} run{n === 1 ? "" : "s"} ({shown}
        {n > 5 ? " …" : ""}) to the trash? <Text bold>y</Text>es / <Text bold>n</Text>o
      </Text>
    </Box>
  );
}
