package dev.modelmux.placement;

/**
 * Configuration of the {@link Rebalancer}.
 *
 * @param highWaterFraction a device filled (used + reserved) above this fraction of its capacity
 *     is relieved when a node joins; in (0, 1]
 * @param relieveToFraction moves stop once the device is at or below this fraction; in (0, highWater]
 * @param maxMovesPerJoin most moves one rebalance asks for, so a join does not start a stampede
 *     of loads; 0 turns relieving off
 */
public record RebalancerConfig(double highWaterFraction, double relieveToFraction, int maxMovesPerJoin) {
    public static final double DEFAULT_HIGH_WATER_FRACTION = 0.90;
    public static final double DEFAULT_RELIEVE_TO_FRACTION = 0.75;
    public static final int DEFAULT_MAX_MOVES_PER_JOIN = 32;

    public RebalancerConfig {
        if (!(highWaterFraction > 0 && highWaterFraction <= 1)) {
            throw new IllegalArgumentException("highWaterFraction must be in (0, 1], was " + highWaterFraction);
        }
        if (!(relieveToFraction > 0 && relieveToFraction <= highWaterFraction)) {
            throw new IllegalArgumentException("relieveToFraction must be in (0, highWaterFraction=" + highWaterFraction
                    + "], was " + relieveToFraction);
        }
        if (maxMovesPerJoin < 0) {
            throw new IllegalArgumentException("maxMovesPerJoin must be >= 0, was " + maxMovesPerJoin);
        }
    }

    public static RebalancerConfig defaults() {
        return new RebalancerConfig(
                DEFAULT_HIGH_WATER_FRACTION, DEFAULT_RELIEVE_TO_FRACTION, DEFAULT_MAX_MOVES_PER_JOIN);
    }
}
