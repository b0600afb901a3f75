/**
 * Kendall's tau-b between two paired samples: (concordant - discordant) /
 * sqrt((n0 - ties in x) (n0 - ties in y)), pairs tied in both counting in neither. O(n^2), which is
 * plenty for model zoos. Null when fewer than two pairs or one side is constant. Values within
 * `relativeTolerance` of each other count as tied (rescaled copies of one network differ only by
 * rounding).
 */
export function kendallTau(x: readonly number[], y: readonly number[], relativeTolerance = 0): number | null {
  if (x.length !== y.length) throw new Error('kendallTau: samples of different lengths');
  let concordant = 0;
  let discordant = 0;
  let tiedXOnly = 0;
  let tiedYOnly = 0;
  for (let i = 0; i < x.length; i++) {
    for (let j = i + 1; j < x.length; j++) {
      const dx = compare(x[i]!, x[j]!, relativeTolerance);
      const dy = compare(y[i]!, y[j]!, relativeTolerance);
      if (dx === 0 && dy === 0) continue;
      if (dx === 0) tiedXOnly++;
      else if (dy === 0) tiedYOnly++;
      else if (dx === dy) concordant++;
      else discordant++;
    }
  }
  const pairsX = concordant + discordant + tiedYOnly;
  const pairsY = concordant + discordant + tiedXOnly;
  if (pairsX === 0 || pairsY === 0) return null;
  return (concordant - discordant) / Math.sqrt(pairsX * pairsY);
}

function compare(a: number, b: number, relativeTolerance: number): number {
  if (Math.abs(a - b) <= relativeTolerance * Math.max(Math.abs(a), Math.abs(b))) return 0;
  return Math.sign(a - b);
}

/** Kendall tau after dropping pairs with a non-finite value on either side. */
export function kendallTauFinite(x: readonly (number | null)[], y: readonly (number | null)[], relativeTolerance = 0): number | null {
  const keep = x.map((_, i) => i).filter((i) => Number.isFinite(x[i] ?? NaN) && Number.isFinite(y[i] ?? NaN));
  return kendallTau(keep.map((i) => x[i]!), keep.map((i) => y[i]!), relativeTolerance);
}
