// index.bin's checksum: the native CRC-32 and the table loop an older Node falls back to give the same value.
import { describe, expect, it } from "vitest";
import { crc32, crc32Table } from "../../src/store/crc32.js";

describe("crc32", () => {
  it("gives the standard CRC-32 check value of '123456789'", () => {
    const bytes = new TextEncoder().encode("123456789");
    expect(crc32(bytes)).toBe(0xcbf43926);
    expect(crc32Table(bytes)).toBe(0xcbf43926);
  });

  it("gives the same value natively and through the table, for any bytes and any length", () => {
    let seed = 7;
    for (const length of [0, 1, 3, 4, 255, 4096, 100_003]) {
      const bytes = new Uint8Array(length);
      for (let i = 0; i < length; i++) bytes[i] = (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
      expect(crc32Table(bytes), `length ${length}`).toBe(crc32(bytes));
    }
  });

  it("sees a single bit flipped", () => {
    const bytes = new Uint8Array(1000).fill(0x5a);
    const before = crc32(bytes);
    bytes[500] = bytes[500]! ^ 0x01;
    expect(crc32(bytes)).not.toBe(before);
    expect(crc32Table(bytes)).toBe(crc32(bytes));
  });
});
