/** Index of the largest value; the lowest index wins ties (as the golden references do). The greedy
 * choice everywhere: the sampler at temperature 0, the CPU argmax op, the WGSL kernel's twin. */
export function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
  return best;
}
