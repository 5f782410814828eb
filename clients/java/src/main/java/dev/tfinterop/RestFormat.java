package dev.tfinterop;

/** A case's {@code rest_format}: the REST request form a REST client sends. */
public enum RestFormat {
  /** {"inputs": {alias: nested list}} */
  COLUMNAR,
  /** {"instances": [per-example values]} */
  ROW;

  public static RestFormat of(String name) {
    return switch (name) {
      case "columnar" -> COLUMNAR;
      case "row" -> ROW;
      default -> throw new IllegalArgumentException("unknown rest_format " + name);
    };
  }
}
