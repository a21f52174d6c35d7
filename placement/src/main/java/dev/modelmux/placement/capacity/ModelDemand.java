package dev.modelmux.placement.capacity;

import java.util.Objects;
import java.util.OptionalDouble;

/**
 * What the mesh measured of one model, as input to {@link CapacityPlan#compute}.
 *
 * @param model              the model's name
 * @param peakQps            the highest cluster-wide request rate over the window (requests/s), {@code >= 0}
 * @param currentQps         the cluster-wide request rate now, {@code >= 0}
 * @param p99Seconds         the 99th percentile of one request's time on a copy; empty when none was measured
 * @param loadSeconds        how long a copy takes to load (mean measured); empty before the first load
 * @param bytesPerCopy       memory one copy takes (measured, else predicted), {@code >= 0}
 * @param currentCopies      READY copies in the mesh now
 * @param floorCopies        copies the model keeps whatever its traffic ({@code min_copies}, 1 when pinned)
 * @param extraTrafficShare  traffic on top of {@code peakQps} the copies must also carry, as a share of it
 *     (canary and shadow copies of an endpoint), {@code >= 0}
 */
public record ModelDemand(
        String model,
        double peakQps,
        double currentQps,
        OptionalDouble p99Seconds,
        OptionalDouble loadSeconds,
        long bytesPerCopy,
        int currentCopies,
        int floorCopies,
        double extraTrafficShare) {

    public ModelDemand {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(p99Seconds, "p99Seconds");
        Objects.requireNonNull(loadSeconds, "loadSeconds");
        nonNegative(model, "peak qps", peakQps);
        nonNegative(model, "current qps", currentQps);
        nonNegative(model, "extra traffic share", extraTrafficShare);
        p99Seconds.ifPresent(v -> nonNegative(model, "p99", v));
        loadSeconds.ifPresent(v -> nonNegative(model, "load time", v));
        if (bytesPerCopy < 0 || currentCopies < 0 || floorCopies < 0) {
            throw new IllegalArgumentException(model + ": bytes and copy counts must be >= 0");
        }
    }

    /** A model with no traffic, no measurements and no copies (tests build from here). */
    public static ModelDemand idle(String model, long bytesPerCopy) {
        return new ModelDemand(model, 0, 0, OptionalDouble.empty(), OptionalDouble.empty(), bytesPerCopy, 0, 0, 0);
    }

    public ModelDemand withTraffic(double peak, double current) {
        return new ModelDemand(
                model,
                peak,
                current,
                p99Seconds,
                loadSeconds,
                bytesPerCopy,
                currentCopies,
                floorCopies,
                extraTrafficShare);
    }

    public ModelDemand withP99(double seconds) {
        return new ModelDemand(
                model,
                peakQps,
                currentQps,
                OptionalDouble.of(seconds),
                loadSeconds,
                bytesPerCopy,
                currentCopies,
                floorCopies,
                extraTrafficShare);
    }

    public ModelDemand withLoadSeconds(double seconds) {
        return new ModelDemand(
                model,
                peakQps,
                currentQps,
                p99Seconds,
                OptionalDouble.of(seconds),
                bytesPerCopy,
                currentCopies,
                floorCopies,
                extraTrafficShare);
    }

    public ModelDemand withCopies(int current, int floor) {
        return new ModelDemand(
                model, peakQps, currentQps, p99Seconds, loadSeconds, bytesPerCopy, current, floor, extraTrafficShare);
    }

    public ModelDemand withExtraTrafficShare(double share) {
        return new ModelDemand(
                model, peakQps, currentQps, p99Seconds, loadSeconds, bytesPerCopy, currentCopies, floorCopies, share);
    }

    private static void nonNegative(String model, String what, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(model + ": " + what + " must be finite and >= 0, was " + v);
        }
    }
}
