// Small dense linear algebra for the Gaussian-process optimizer: Cholesky
// factorisation, triangular solves and a few helpers on row-major
// Float64Array matrices. Sizes are tiny (a few hundred at most), so plain
// loops beat anything clever and keep the module dependency-free.

/** A square n×n matrix stored row-major: element (i, j) is data[i * n + j]. */
export interface Matrix {
  n: number;
  data: Float64Array;
}

export function makeMatrix(n: number): Matrix {
  return { n, data: new Float64Array(n * n) };
}

/**
 * Lower-triangular L with L Lᵀ = A, or null when A is not (numerically)
 * positive definite. Only the lower triangle of A is read.
 */
export function cholesky(a: Matrix): Matrix | null {
  const n = a.n;
  const A = a.data;
  const L = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const rowJ = j * n;
    let diag = A[rowJ + j]!;
    for (let k = 0; k < j; k++) diag -= L[rowJ + k]! * L[rowJ + k]!;
    if (!(diag > 0) || !Number.isFinite(diag)) return null;
    const ljj = Math.sqrt(diag);
    L[rowJ + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const rowI = i * n;
      let s = A[rowI + j]!;
      for (let k = 0; k < j; k++) s -= L[rowI + k]! * L[rowJ + k]!;
      L[rowI + j] = s / ljj;
    }
  }
  return { n, data: L };
}

/** Solves L x = b for lower-triangular L (forward substitution). */
export function solveLower(l: Matrix, b: ArrayLike<number>): Float64Array {
  const n = l.n;
  const L = l.data;
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    const row = i * n;
    for (let k = 0; k < i; k++) s -= L[row + k]! * x[k]!;
    x[i] = s / L[row + i]!;
  }
  return x;
}

/** Solves Lᵀ x = b for lower-triangular L (back substitution). */
export function solveUpperT(l: Matrix, b: ArrayLike<number>): Float64Array {
  const n = l.n;
  const L = l.data;
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < n; k++) s -= L[k * n + i]! * x[k]!;
    x[i] = s / L[i * n + i]!;
  }
  return x;
}

/** Solves A x = b given the Cholesky factor L of A. */
export function cholSolve(l: Matrix, b: ArrayLike<number>): Float64Array {
  return solveUpperT(l, solveLower(l, b));
}

/** log det A from its Cholesky factor: 2 Σ log L_ii. */
export function cholLogDet(l: Matrix): number {
  let s = 0;
  for (let i = 0; i < l.n; i++) s += Math.log(l.data[i * l.n + i]!);
  return 2 * s;
}

/** A⁻¹ from the Cholesky factor of A (symmetric, both triangles filled). */
export function cholInverse(l: Matrix): Matrix {
  const n = l.n;
  const L = l.data;
  // Invert L column by column (still lower-triangular), then A⁻¹ = L⁻ᵀ L⁻¹.
  const Li = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    Li[j * n + j] = 1 / L[j * n + j]!;
    for (let i = j + 1; i < n; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= L[i * n + k]! * Li[k * n + j]!;
      Li[i * n + j] = s / L[i * n + i]!;
    }
  }
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < n; k++) s += Li[k * n + i]! * Li[k * n + j]!;
      inv[i * n + j] = s;
      inv[j * n + i] = s;
    }
  }
  return { n, data: inv };
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** y = A x for a square matrix A. */
export function matVec(a: Matrix, x: ArrayLike<number>): Float64Array {
  const n = a.n;
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    const row = i * n;
    for (let k = 0; k < n; k++) s += a.data[row + k]! * x[k]!;
    y[i] = s;
  }
  return y;
}

// The standard normal pdf/cdf live here too: they are the other numeric
// primitive both model-based optimizers need.

const INV_SQRT_2PI = 0.3989422804014327;

export function normalPdf(z: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * z * z);
}

/** Φ(z), with relative error below 1.2e-7 even far in the tails (erfc by Chebyshev fit). */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
