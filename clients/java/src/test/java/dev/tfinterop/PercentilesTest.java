package dev.tfinterop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Nearest rank as docs/CONTRACT.md defines it: the ceil(Q/100 * n)-th smallest. */
class PercentilesTest {
  static long[] oneTo(int n) {
    return LongStream.rangeClosed(1, n).toArray();
  }

  @ParameterizedTest(name = "p{1} of 1..{0} is {2}")
  @CsvSource({
    "1, 50, 1",
    "1, 99, 1",
    "1, 0, 1",
    "2, 50, 1",
    "2, 51, 2",
    "7, 50, 4",
    "7, 90, 7",
    "10, 50, 5",
    "10, 90, 9",
    "10, 99, 10",
    "10, 0, 1",
    "10, 100, 10",
    "100, 50, 50",
    "100, 90, 90",
    "100, 99, 99",
    "100, 100, 100",
    "1000, 99, 990",
    "1001, 99, 991",
  })
  void nearestRankOfOneToN(int n, int q, long want) {
    assertEquals(want, Percentiles.nearestRank(oneTo(n), q));
  }

  /**
   * The same definition said another way: the smallest value v such that at least Q% of the values
   * are <= v. Exercises every n up to 300 against p50, p90 and p99.
   */
  @Test
  void agreesWithTheSmallestValueCoveringQPercent() {
    for (int n = 1; n <= 300; n++) {
      long[] values = LongStream.rangeClosed(1, n).map(v -> v * 3).toArray();
      for (int q : new int[] {1, 50, 90, 99}) {
        long want = -1;
        for (int k = 1; k <= n; k++) {
          if (100L * k >= (long) q * n) {
            want = values[k - 1];
            break;
          }
        }
        assertEquals(want, Percentiles.nearestRank(values, q), "n=" + n + " q=" + q);
      }
    }
  }

  @Test
  void refusesNoValuesAndPercentilesOutsideTheRange() {
    assertThrows(IllegalArgumentException.class, () -> Percentiles.nearestRank(new long[0], 50));
    assertThrows(IllegalArgumentException.class, () -> Percentiles.nearestRank(oneTo(3), 101));
    assertThrows(IllegalArgumentException.class, () -> Percentiles.nearestRank(oneTo(3), -1));
  }
}
