package dev.modelmux.admission.sched;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides, per model on one device, whether its requests run batched ({@link Decision#BATCH}) or
 * one by one ({@link Decision#SINGLE}), from throughput measured on this device under the load it
 * actually has, so that batching never makes a model slower. A pure state machine on an injected
 * clock: the owner reports each unit of work that starts and finishes, and asks which way the
 * model's next request goes.
 *
 * <p>What is compared: nanoseconds of wall time per row while the model has work running, in one
 * mode. Time counts while at least one unit of that mode is in flight, so idle gaps do not count,
 * and under saturation it is the inverse of the model's throughput at the concurrency seen (several
 * single runs at once against one batch at a time), not the latency of one run. A run measured in
 * isolation would mislead: on a 2-core CPU a batch of MiniLM-q runs 1.5× faster per sequence than
 * one sequence alone, yet the node serving 32 clients is faster unbatched, because two single runs
 * already keep both cores busy.
 *
 * <p>The cycle: a window of the incumbent mode is measured ({@link Phase#MEASURE}), then a window of
 * the other mode right after it, under the same load ({@link Phase#PROBE}); the cheaper one wins,
 * with hysteresis: SINGLE gives way to BATCH only if batching costs at most {@code 1 - margin} of
 * single per row, and BATCH keeps its place while it costs at most {@code 1 - margin/2}. Ties go to
 * SINGLE, the mode that cannot be slower, and the model starts SINGLE. A comparison that calls for a
 * change is made again at once, and the change happens only if the second agrees (so one noisy pair
 * of windows on a busy machine changes nothing). A window opens once no unit of the other mode is
 * still in flight. The comparison is repeated
 * ({@link Phase#STEADY} until then) after {@code minReprobeNanos}, and after twice as long each time
 * the decision stood, up to {@code maxReprobeNanos}; a flip starts the interval over, so a change of
 * load or device is found again. A window is complete once it has {@code minBusyNanos} of busy time,
 * {@code minRows} rows and {@code minUnits} units; a measured window older than
 * {@code maxWindowNanos} (the load may have changed since) is started over, and a probe that cannot
 * complete in that time (too little load to compare) is abandoned without a change.
 *
 * <p>Not thread-safe: the owner (a {@link DeviceQueue}) calls it under its monitor. States of models
 * without a unit for {@code idleForgetNanos} are dropped.
 *
 * @param <M> the model version key
 */
public final class BatchDecider<M> {
    private static final Logger LOG = LoggerFactory.getLogger(BatchDecider.class);

    /** How a model's next request runs. */
    public enum Decision {
        BATCH,
        SINGLE;

        Decision other() {
            return this == BATCH ? SINGLE : BATCH;
        }
    }

    /** Where a model is in the cycle. */
    public enum Phase {
        /** Measuring the incumbent mode. */
        MEASURE,
        /** Measuring the other mode, to compare. */
        PROBE,
        /** Decided; the next comparison is due at {@link View#nextProbeNanos()}. */
        STEADY
    }

    /**
     * @param margin how much cheaper per row batching must be to replace SINGLE (0.1: 10%); it keeps
     *     its place while at least half that much cheaper
     */
    public record Config(
            long minBusyNanos,
            int minRows,
            int minUnits,
            long maxWindowNanos,
            double margin,
            long minReprobeNanos,
            long maxReprobeNanos,
            long idleForgetNanos) {
        public Config {
            if (minBusyNanos < 0 || minRows < 1 || minUnits < 1) {
                throw new IllegalArgumentException("minBusyNanos >= 0, minRows >= 1 and minUnits >= 1 required");
            }
            if (maxWindowNanos <= 0 || minReprobeNanos <= 0 || maxReprobeNanos < minReprobeNanos) {
                throw new IllegalArgumentException(
                        "maxWindowNanos and minReprobeNanos must be > 0, maxReprobeNanos >= minReprobeNanos");
            }
            if (!(margin >= 0 && margin < 1)) {
                throw new IllegalArgumentException("margin must be in [0, 1), was " + margin);
            }
            if (idleForgetNanos <= 0) {
                throw new IllegalArgumentException("idleForgetNanos must be > 0");
            }
        }

        /**
         * Windows of at least 250 ms busy, 64 rows and 8 units, measured within 5 s; a 10% margin;
         * comparisons after 10 s, backing off to 5 minutes while the decision stands; states forgotten
         * after 15 idle minutes.
         */
        public static Config defaults() {
            return new Config(
                    250_000_000L, 64, 8, 5_000_000_000L, 0.10, 10_000_000_000L, 300_000_000_000L, 900_000_000_000L);
        }
    }

    /**
     * What the decider knows of a model, for operators.
     *
     * @param decision the mode it decided on (while {@link Phase#PROBE}, its requests run the other way)
     * @param singleNanosPerRow the last complete window's cost per row unbatched; NaN before one
     * @param batchNanosPerRow the same batched; NaN before one
     * @param comparisons comparisons made (each a MEASURE and a PROBE window)
     * @param reason why the decision is what it is, in words
     */
    public record View(
            Decision decision,
            Phase phase,
            double singleNanosPerRow,
            double batchNanosPerRow,
            int comparisons,
            long nextProbeNanos,
            String reason) {}

    private final Config config;
    private final Map<M, State> states = new HashMap<>();
    private long nextSweepNanos = Long.MIN_VALUE;

    public BatchDecider(Config config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    /** Which way {@code model}'s next request goes; starts measuring a model it has not seen. */
    public Decision decide(M model, long now) {
        sweep(now);
        State s = state(model, now);
        s.advance(now);
        return s.mode();
    }

    /** A unit of {@code model} started, batched or not. */
    public void started(M model, boolean batched, long now) {
        State s = state(model, now);
        s.lastUsedNanos = now;
        s.meter(batched).start(now);
    }

    /**
     * A unit of {@code model} that {@link #started} finished, with {@code rows} rows along dimension
     * 0; 0 for one that did not run (dropped once its callers had gone).
     */
    public void finished(M model, boolean batched, int rows, long now) {
        State s = states.get(model);
        if (s == null) {
            return;
        }
        s.lastUsedNanos = now;
        s.meter(batched).finish(now, rows);
        s.advance(now);
    }

    /** What is known of {@code model}; empty for one not seen (or forgotten). */
    public Optional<View> view(M model) {
        State s = states.get(model);
        return s == null ? Optional.empty() : Optional.of(s.view());
    }

    /** What is known of every model with a state. */
    public Map<M, View> views() {
        Map<M, View> out = new HashMap<>();
        states.forEach((m, s) -> out.put(m, s.view()));
        return out;
    }

    /** Models with a state. */
    public int size() {
        return states.size();
    }

    private State state(M model, long now) {
        return states.computeIfAbsent(model, k -> new State(k, now));
    }

    private void sweep(long now) {
        if (now < nextSweepNanos) {
            return;
        }
        nextSweepNanos = now + Math.min(config.idleForgetNanos(), 60_000_000_000L);
        for (Iterator<State> it = states.values().iterator(); it.hasNext(); ) {
            State s = it.next();
            if (s.idle() && now - s.lastUsedNanos >= config.idleForgetNanos()) {
                it.remove();
            }
        }
    }

    /** Busy time, rows and units of one mode, cumulative. */
    private static final class Meter {
        private int inFlight;
        private long busySince;
        private long busyNanos;
        private long rows;
        private long units;

        void start(long now) {
            if (inFlight++ == 0) {
                busySince = now;
            }
        }

        void finish(long now, int r) {
            if (inFlight == 0) {
                return;
            }
            if (--inFlight == 0) {
                busyNanos += Math.max(0, now - busySince);
            }
            if (r > 0) {
                rows += r;
                units++;
            }
        }

        long busy(long now) {
            return busyNanos + (inFlight > 0 ? Math.max(0, now - busySince) : 0);
        }
    }

    /**
     * The counters of one mode when a window began; not {@code open} while units of the other mode
     * are still in flight (they would slow the window's own).
     */
    private record Mark(Decision mode, long startedNanos, long busyNanos, long rows, long units, boolean open) {}

    private final class State {
        private final Meter single = new Meter();
        private final Meter batch = new Meter();
        private Decision current = Decision.SINGLE;
        private Phase phase = Phase.MEASURE;
        private Mark window;
        private double incumbentCost = Double.NaN;
        private double singleCost = Double.NaN;
        private double batchCost = Double.NaN;
        private long interval = config.minReprobeNanos();
        private long nextProbeNanos;
        private int comparisons;
        private boolean confirming;
        /** The first unbatched window after a load pays the copy's warm-up (first runs are slow): discarded. */
        private boolean warmedUp;

        private long lastUsedNanos;
        private String reason = "measuring unbatched throughput before trying batches";

        private final M model;

        State(M model, long now) {
            this.model = model;
            this.lastUsedNanos = now;
            this.window = mark(Decision.SINGLE, now);
        }

        Meter meter(boolean batched) {
            return batched ? batch : single;
        }

        boolean idle() {
            return single.inFlight == 0 && batch.inFlight == 0;
        }

        Decision mode() {
            return phase == Phase.PROBE ? current.other() : current;
        }

        private Mark mark(Decision mode, long now) {
            return mark(mode, now, now);
        }

        private Mark mark(Decision mode, long startedNanos, long now) {
            boolean batched = mode == Decision.BATCH;
            if (meter(!batched).inFlight > 0) {
                return new Mark(mode, startedNanos, 0, 0, 0, false);
            }
            Meter m = meter(batched);
            return new Mark(mode, startedNanos, m.busy(now), m.rows, m.units, true);
        }

        /** Moves the cycle on: a window completed, went stale, or a comparison is due. */
        void advance(long now) {
            switch (phase) {
                case STEADY -> {
                    if (now >= nextProbeNanos) {
                        phase = Phase.MEASURE;
                        window = mark(current, now);
                    }
                }
                case MEASURE -> {
                    double cost = cost(now);
                    if (!Double.isNaN(cost) && !warmedUp) {
                        warmedUp = true;
                        window = mark(current, now);
                    } else if (!Double.isNaN(cost)) {
                        incumbentCost = cost;
                        record(current, cost);
                        phase = Phase.PROBE;
                        window = mark(current.other(), now);
                    } else if (now - window.startedNanos() > config.maxWindowNanos()) {
                        window = mark(current, now);
                    }
                }
                case PROBE -> {
                    double cost = cost(now);
                    if (!Double.isNaN(cost)) {
                        record(current.other(), cost);
                        compare(cost, now);
                    } else if (now - window.startedNanos() > config.maxWindowNanos()) {
                        reason = "kept " + current + ": too little load to compare within "
                                + config.maxWindowNanos() / 1_000_000 + " ms";
                        steady(false, now);
                    }
                }
            }
        }

        /** The window's cost per row if it is complete; NaN otherwise. */
        private double cost(long now) {
            if (!window.open()) {
                window = mark(window.mode(), window.startedNanos(), now);
                return Double.NaN;
            }
            Meter m = meter(window.mode() == Decision.BATCH);
            long busy = m.busy(now) - window.busyNanos();
            long rows = m.rows - window.rows();
            long units = m.units - window.units();
            if (busy < config.minBusyNanos() || rows < config.minRows() || units < config.minUnits() || busy <= 0) {
                return Double.NaN;
            }
            return (double) busy / rows;
        }

        private void record(Decision mode, double cost) {
            if (mode == Decision.BATCH) {
                batchCost = cost;
            } else {
                singleCost = cost;
            }
        }

        private void compare(double probeCost, long now) {
            comparisons++;
            double batchPerRow = current == Decision.BATCH ? incumbentCost : probeCost;
            double singlePerRow = current == Decision.SINGLE ? incumbentCost : probeCost;
            double ratio = batchPerRow / singlePerRow;
            Decision next;
            if (current == Decision.SINGLE) {
                next = ratio <= 1 - config.margin() ? Decision.BATCH : Decision.SINGLE;
            } else {
                next = ratio <= 1 - config.margin() / 2 ? Decision.BATCH : Decision.SINGLE;
            }
            reason = String.format(
                    Locale.ROOT,
                    "%s: batched runs cost %.2fx unbatched per row (%.1f vs %.1f µs)",
                    next == Decision.BATCH ? "batching" : "unbatched",
                    ratio,
                    batchPerRow / 1000,
                    singlePerRow / 1000);
            if (next != current && !confirming) {
                // One comparison on a busy machine can mislead: a flip needs a second one, made at once.
                confirming = true;
                reason += "; confirming";
                phase = Phase.MEASURE;
                window = mark(current, now);
                return;
            }
            confirming = false;
            boolean flipped = next != current;
            if (flipped) {
                LOG.info("{} now runs {}: {}", model, next == Decision.BATCH ? "batched" : "unbatched", reason);
            }
            current = next;
            steady(flipped, now);
        }

        private void steady(boolean flipped, long now) {
            if (flipped) {
                interval = config.minReprobeNanos();
            }
            phase = Phase.STEADY;
            nextProbeNanos = saturatedAdd(now, interval);
            if (!flipped) {
                interval = Math.min(config.maxReprobeNanos(), saturatedAdd(interval, interval));
            }
        }

        View view() {
            return new View(current, phase, singleCost, batchCost, comparisons, nextProbeNanos, reason);
        }
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }
}
