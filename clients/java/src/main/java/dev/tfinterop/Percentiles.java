package dev.tfinterop;

/** Bench percentiles, nearest rank as docs/CONTRACT.md defines them (the only definition). */
public final class Percentiles {
  private Percentiles() {}

  /**
   * The {@code ceil(q/100 * n)}-th smallest of the n values (1-based; the smallest when that is 0).
   * Integer arithmetic, so p90 of 10 values is the 9th, never the 10th by a rounding error.
   *
   * @param sorted the values in ascending order; IllegalArgumentException when empty
   * @param q the percentile, 0 to 100
   */
  public static long nearestRank(long[] sorted, int q) {
    if (sorted.length == 0) {
      throw new IllegalArgumentException("no values to take a percentile of");
    }
    if (q < 0 || q > 100) {
      throw new IllegalArgumentException("percentile " + q + " is not within 0..100");
    }
    long rank = ((long) q * sorted.length + 99) / 100;
    return sorted[(int) Math.max(rank, 1) - 1];
  }
}
