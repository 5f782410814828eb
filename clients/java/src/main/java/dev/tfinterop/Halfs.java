package dev.tfinterop;

import java.math.BigDecimal;
import java.util.function.IntFunction;

/** IEEE half and bfloat16 bits to and from float (round to nearest even), for JSON. */
final class Halfs {
  private static final short HALF_INFINITY = 0x7C00;
  private static final short BFLOAT16_INFINITY = 0x7F80;

  private Halfs() {}

  /**
   * The half nearest the JSON number {@code text} (ties to even), rounded once from the exact
   * decimal value: parsing to float first would round twice. NumberFormatException when it is not a
   * number.
   */
  static short decimalToHalf(String text) {
    return decimalToNarrow(
        text,
        HALF_INFINITY,
        (short) 0x7E00,
        BigDecimal.valueOf(65536),
        b -> halfToFloat((short) b));
  }

  /** The bfloat16 nearest the JSON number {@code text}, as {@link #decimalToHalf}. */
  static short decimalToBfloat16(String text) {
    return decimalToNarrow(
        text,
        BFLOAT16_INFINITY,
        (short) 0x7FC0,
        new BigDecimal(0x1p127).multiply(BigDecimal.valueOf(2)),
        b -> bfloat16ToFloat((short) b));
  }

  /**
   * Rounds to a 16-bit format whose non-negative finite values ascend with their bits from 0 to
   * {@code infinity - 1}; {@code overflow} is the value the next bits would have (the first power
   * of two past the maximum), where IEEE rounding to infinity begins.
   */
  private static short decimalToNarrow(
      String text, short infinity, short nan, BigDecimal overflow, IntFunction<Float> value) {
    double d = Double.parseDouble(text);
    int sign = text.startsWith("-") ? 0x8000 : 0;
    if (Double.isNaN(d)) {
      return nan;
    }
    if (Double.isInfinite(d)) {
      return (short) (sign | infinity);
    }
    BigDecimal magnitude = new BigDecimal(text).abs();
    // The largest bits whose value does not exceed the magnitude (infinity counts as overflow).
    int lo = 0;
    int hi = infinity;
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (exact(mid, infinity, overflow, value).compareTo(magnitude) <= 0) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    int bits = lo;
    if (bits < infinity) {
      BigDecimal below = exact(bits, infinity, overflow, value);
      BigDecimal above = exact(bits + 1, infinity, overflow, value);
      int c = magnitude.subtract(below).compareTo(above.subtract(magnitude));
      if (c > 0 || (c == 0 && (bits & 1) != 0)) {
        bits++;
      }
    }
    return (short) (sign | bits);
  }

  private static BigDecimal exact(
      int bits, short infinity, BigDecimal overflow, IntFunction<Float> value) {
    return bits == infinity ? overflow : new BigDecimal((double) value.apply(bits));
  }

  static float bfloat16ToFloat(short bits) {
    return Float.intBitsToFloat(Short.toUnsignedInt(bits) << 16);
  }

  static short floatToBfloat16(float f) {
    int bits = Float.floatToRawIntBits(f);
    if (Float.isNaN(f)) {
      return (short) ((bits >>> 16) | 0x40);
    }
    int rounding = 0x7FFF + ((bits >>> 16) & 1);
    return (short) ((bits + rounding) >>> 16);
  }

  static float halfToFloat(short h) {
    int bits = Short.toUnsignedInt(h);
    int sign = (bits & 0x8000) << 16;
    int exp = (bits >>> 10) & 0x1F;
    int mant = bits & 0x3FF;
    if (exp == 0x1F) {
      return Float.intBitsToFloat(sign | 0x7F80_0000 | (mant << 13));
    }
    if (exp == 0) {
      float v = mant * 0x1p-24f;
      return sign != 0 ? -v : v;
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }

  static short floatToHalf(float f) {
    int bits = Float.floatToRawIntBits(f);
    int sign = (bits >>> 16) & 0x8000;
    int exp = (bits >>> 23) & 0xFF;
    int mant = bits & 0x7F_FFFF;
    if (exp == 0xFF) {
      return (short) (sign | 0x7C00 | (mant != 0 ? 0x200 | (mant >>> 13) : 0));
    }
    int e = exp - 127 + 15;
    if (e >= 0x1F) {
      return (short) (sign | 0x7C00);
    }
    if (e <= 0) {
      if (e < -10) {
        return (short) sign;
      }
      mant |= 0x80_0000;
      int shift = 14 - e;
      int half = mant >>> shift;
      int rem = mant & ((1 << shift) - 1);
      int mid = 1 << (shift - 1);
      if (rem > mid || (rem == mid && (half & 1) != 0)) {
        half++;
      }
      return (short) (sign | half);
    }
    int half = (e << 10) | (mant >>> 13);
    int rem = mant & 0x1FFF;
    if (rem > 0x1000 || (rem == 0x1000 && (half & 1) != 0)) {
      half++;
    }
    return (short) (sign | half);
  }
}
