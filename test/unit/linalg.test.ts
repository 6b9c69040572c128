import { describe, expect, it } from "vitest";
import {
  cholesky,
  cholInverse,
  cholLogDet,
  cholSolve,
  makeMatrix,
  matVec,
  normalCdf,
  normalPdf,
  solveLower,
  solveUpperT,
  type Matrix,
} from "../../src/search/linalg.js";

function matrix(rows: number[][]): Matrix {
  const m = makeMatrix(rows.length);
  rows.forEach((r, i) => r.forEach((v, j) => (m.data[i * rows.length + j] = v)));
  return m;
}

// A = [[4, 2, 2], [2, 5, 3], [2, 3, 6]] = L Lᵀ with L = [[2, 0, 0], [1, 2, 0], [1, 1, 2]] (by hand).
const A = matrix([
  [4, 2, 2],
  [2, 5, 3],
  [2, 3, 6],
]);

describe("cholesky", () => {
  it("factors a hand-computed 3×3 matrix", () => {
    const L = cholesky(A)!;
    expect(Array.from(L.data)).toEqual([2, 0, 0, 1, 2, 0, 1, 1, 2]);
  });

  it("returns null for a matrix that is not positive definite", () => {
    expect(
      cholesky(
        matrix([
          [1, 2],
          [2, 1],
        ]),
      ),
    ).toBeNull();
    expect(cholesky(matrix([[0]]))).toBeNull();
  });

  it("gives log det A = 2 Σ log L_ii (det A = 64)", () => {
    expect(cholLogDet(cholesky(A)!)).toBeCloseTo(Math.log(64), 12);
  });
});

describe("triangular solves", () => {
  const L = cholesky(A)!;

  it("solves L x = b by forward substitution", () => {
    // L [1, 1, 1]ᵀ = [2, 3, 4]
    expect(Array.from(solveLower(L, [2, 3, 4]))).toEqual([1, 1, 1]);
  });

  it("solves Lᵀ x = b by back substitution", () => {
    // Lᵀ = [[2, 1, 1], [0, 2, 1], [0, 0, 2]]; Lᵀ [1, 1, 1]ᵀ = [4, 3, 2]
    expect(Array.from(solveUpperT(L, [4, 3, 2]))).toEqual([1, 1, 1]);
  });

  it("solves A x = b through the factor", () => {
    // A [1, -1, 2]ᵀ = [6, 3, 11]
    const x = cholSolve(L, [6, 3, 11]);
    [1, -1, 2].forEach((v, i) => expect(x[i]).toBeCloseTo(v, 12));
  });

  it("inverts A so that A A⁻¹ = I", () => {
    const inv = cholInverse(L);
    for (let j = 0; j < 3; j++) {
      const col = [0, 1, 2].map((i) => inv.data[i * 3 + j]!);
      const e = matVec(A, col);
      for (let i = 0; i < 3; i++) expect(e[i]).toBeCloseTo(i === j ? 1 : 0, 12);
    }
  });
});

describe("normal distribution", () => {
  it("matches tabulated values of the pdf and cdf", () => {
    expect(normalPdf(0)).toBeCloseTo(0.3989422804, 9);
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.96)).toBeCloseTo(0.9750021, 6);
    expect(normalCdf(-1)).toBeCloseTo(0.1586553, 6);
  });

  it("keeps relative accuracy in the far lower tail", () => {
    // Φ(-8) = 6.22096e-16
    expect(normalCdf(-8) / 6.220960574e-16).toBeCloseTo(1, 5);
  });
});
