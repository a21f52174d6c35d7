package dev.modelmux.placement.internal;

/** Saturating byte arithmetic: sizes near {@code Long.MAX_VALUE} must not wrap negative. */
public final class Sizes {
    private Sizes() {}

    public static long add(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? (a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE) : r;
    }

    /** {@code bytes + ceil(bytes × fraction)}, saturating. */
    public static long withHeadroom(long bytes, double fraction) {
        double extra = Math.ceil(bytes * fraction);
        return extra >= Long.MAX_VALUE ? Long.MAX_VALUE : add(bytes, (long) extra);
    }
}
