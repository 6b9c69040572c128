// CRC-32 (the one of zip and gzip) of a byte range: index.bin's checksum. Node
// has it natively from 20.15 (`zlib.crc32`, table-free and several times
// faster than any loop in JavaScript: about 25 ms for the 77 MB snapshot of
// 100 000 runs, against some 100 ms for the FNV loop it replaced); an older
// Node gets the same value from the table loop below.

import { createRequire } from "node:module";

type Crc32 = (data: Uint8Array) => number;

let native: Crc32 | null | undefined;

/** zlib.crc32 when this Node has it (loaded on first use: most commands never read a snapshot), else null. */
function loadNativeCrc32(): Crc32 | null {
  if (native === undefined) {
    const zlib = createRequire(import.meta.url)("node:zlib") as { crc32?: (data: Uint8Array, value?: number) => number };
    native = typeof zlib.crc32 === "function" ? (data) => zlib.crc32!(data) : null;
  }
  return native;
}

/** The CRC-32 of `data`, as an unsigned 32-bit number. */
export function crc32(data: Uint8Array): number {
  return (loadNativeCrc32() ?? crc32Table)(data);
}

let table: Int32Array | undefined;

/** The CRC-32 of `data` a byte at a time through a 256-entry table: what a Node without zlib.crc32 uses. */
export function crc32Table(data: Uint8Array): number {
  if (table === undefined) {
    table = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c;
    }
  }
  const t = table;
  let c = -1;
  for (let i = 0; i < data.length; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
