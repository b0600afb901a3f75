/** A weighted-median test problem with a known answer, shared by the weighted-median tests. */
const F = Float64Array;

/** (-3, 0), (3, 0), (0, 3) with weight 1 and (0, 1) with weight eps: the weighted mean is (0, 1) for every eps. */
export function kite(eps: number): { points: Float64Array; weights: Float64Array } {
  return { points: F.of(-3, 0, 3, 0, 0, 3, 0, 1), weights: F.of(1, 1, 1, eps) };
}

/** The kite's minimum lies on x = 0 by symmetry: golden-section search of a convex function of y. */
export function kiteMinimum(eps: number): { value: number; y: number } {
  const f = (y: number) => 2 * Math.sqrt(9 + y * y) + Math.abs(3 - y) + eps * Math.abs(y - 1);
  let lo = 0;
  let hi = 3;
  const g = (Math.sqrt(5) - 1) / 2;
  for (let k = 0; k < 200; k++) {
    const a = hi - g * (hi - lo);
    const b = lo + g * (hi - lo);
    if (f(a) < f(b)) hi = b; else lo = a;
  }
  const y = (lo + hi) / 2;
  return { value: f(y), y };
}
