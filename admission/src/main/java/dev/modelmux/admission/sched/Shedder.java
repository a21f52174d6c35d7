package dev.modelmux.admission.sched;

import dev.modelmux.admission.Priority;
import java.util.Objects;

/**
 * Decides whether a request may start on a device given what is in flight and the current
 * concurrency limit. SHEDDABLE stops at {@code sheddableFraction} of the limit, DEFAULT at the
 * limit, CRITICAL may use a reserve of {@code criticalReserveFraction} of the limit (at least one
 * slot) above it. Stateless and pure.
 */
public final class Shedder {

    public record Config(double sheddableFraction, double criticalReserveFraction) {
        public Config {
            if (!(sheddableFraction > 0 && sheddableFraction <= 1)) {
                throw new IllegalArgumentException("sheddableFraction must be in (0, 1], was " + sheddableFraction);
            }
            if (!(criticalReserveFraction >= 0 && criticalReserveFraction <= 1)) {
                throw new IllegalArgumentException(
                        "criticalReserveFraction must be in [0, 1], was " + criticalReserveFraction);
            }
        }

        public static Config defaults() {
            return new Config(0.8, 0.1);
        }
    }

    private final Config config;

    private Shedder(Config config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    public static Shedder create(Config config) {
        return new Shedder(config);
    }

    /** How many may be in flight before a request of {@code priority} is shed. */
    public int ceiling(Priority priority, int limit) {
        return switch (priority) {
            case SHEDDABLE -> Math.max(1, (int) Math.floor(limit * config.sheddableFraction()));
            case DEFAULT -> limit;
            case CRITICAL -> limit + Math.max(1, (int) Math.ceil(limit * config.criticalReserveFraction()));
        };
    }

    /** True when a request of {@code priority} may start now; false means shed it. */
    public boolean mayStart(Priority priority, int inFlight, int limit) {
        return inFlight < ceiling(priority, limit);
    }
}
