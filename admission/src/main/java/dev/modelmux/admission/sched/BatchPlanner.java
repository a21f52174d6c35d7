package dev.modelmux.admission.sched;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Dynamic batching for one model version, after Triton's {@code dynamic_batching}, as a pure
 * planner: the worker {@link #add}s requests, calls {@link #plan} and runs the batches it returns,
 * then calls again at {@link Plan#nextWakeNanos()} or when a request arrives.
 *
 * <p>Requests stack only with requests of an equal {@link StackKey}. Within a key, requests are
 * taken by priority level (lower first), then enqueue time; timed-out DELAY requests go last. A
 * batch is ready when it reaches {@code maxBatchSize}, when the next request would not fit, when
 * its prefix reaches a preferred size, or when the oldest request waited {@code maxQueueDelay}.
 * A batch never exceeds {@code maxBatchSize}.
 *
 * <p>Deadlines: a request's own deadline (from the client) always rejects it when it passes. The
 * model's {@code defaultTimeout} (counted from enqueue; a request can shorten it, never extend it)
 * follows {@code timeoutAction}: REJECT rejects, DELAY moves the request behind the others.
 * Not thread-safe.
 */
public final class BatchPlanner {

    public enum TimeoutAction {
        REJECT,
        DELAY
    }

    /**
     * @param preferredBatchSizes ascending, each in [1, maxBatchSize]; may be empty
     * @param maxQueueSize pending requests accepted; 0 means unbounded
     * @param defaultTimeoutNanos 0 means none
     */
    public record Config(
            int maxBatchSize,
            List<Integer> preferredBatchSizes,
            long maxQueueDelayNanos,
            int maxQueueSize,
            long defaultTimeoutNanos,
            TimeoutAction timeoutAction) {
        public Config {
            if (maxBatchSize < 1) {
                throw new IllegalArgumentException("maxBatchSize must be >= 1, was " + maxBatchSize);
            }
            preferredBatchSizes = List.copyOf(preferredBatchSizes);
            for (int p : preferredBatchSizes) {
                if (p < 1 || p > maxBatchSize) {
                    throw new IllegalArgumentException("preferredBatchSizes must be in [1, maxBatchSize], was " + p);
                }
            }
            if (maxQueueDelayNanos < 0) {
                throw new IllegalArgumentException("maxQueueDelayNanos must be >= 0, was " + maxQueueDelayNanos);
            }
            if (maxQueueSize < 0) {
                throw new IllegalArgumentException("maxQueueSize must be >= 0, was " + maxQueueSize);
            }
            if (defaultTimeoutNanos < 0) {
                throw new IllegalArgumentException("defaultTimeoutNanos must be >= 0, was " + defaultTimeoutNanos);
            }
            Objects.requireNonNull(timeoutAction, "timeoutAction");
        }

        public static Config defaults() {
            return new Config(8, List.of(), 100_000L, 0, 0, TimeoutAction.REJECT);
        }
    }

    /** What must match for requests to stack: each input's name, element type and non-batch dims. */
    public record StackKey(List<Input> inputs) {
        public StackKey {
            inputs = List.copyOf(inputs);
        }

        public record Input(String name, String elementType, List<Long> nonBatchDims) {
            public Input {
                Objects.requireNonNull(name, "name");
                Objects.requireNonNull(elementType, "elementType");
                nonBatchDims = List.copyOf(nonBatchDims);
            }
        }
    }

    /** A pending request; {@code batchSize} is its first dimension. Lower priorityLevel runs first. */
    public record Request(
            long id, int batchSize, StackKey stackKey, long enqueuedNanos, long deadlineNanos, int priorityLevel) {
        public Request {
            Objects.requireNonNull(stackKey, "stackKey");
        }
    }

    public enum AddResult {
        ACCEPTED,
        QUEUE_FULL,
        /** Batch size below 1 or above maxBatchSize: it can never run here. */
        BATCH_TOO_LARGE,
        DEADLINE_EXCEEDED;

        public boolean accepted() {
            return this == ACCEPTED;
        }
    }

    public enum RejectReason {
        DEADLINE_EXCEEDED,
        TIMEOUT
    }

    public record Rejected(Request request, RejectReason reason) {}

    public record Batch(StackKey stackKey, List<Request> members, BatchSplit split) {
        public int size() {
            return split.totalRows();
        }
    }

    /** Batches to run now, requests to answer with an error, and when to plan again. */
    public record Plan(List<Batch> batches, List<Rejected> rejected, long nextWakeNanos) {}

    private static final class Entry {
        final Request request;
        final long timeoutAt;
        boolean delayed;

        Entry(Request request, long timeoutAt) {
            this.request = request;
            this.timeoutAt = timeoutAt;
        }
    }

    private static final Comparator<Entry> ORDER = Comparator.<Entry>comparingInt(e -> e.delayed ? 1 : 0)
            .thenComparingInt(e -> e.request.priorityLevel())
            .thenComparingLong(e -> e.request.enqueuedNanos())
            .thenComparingLong(e -> e.request.id());

    private final Config config;
    private final Map<StackKey, List<Entry>> groups = new LinkedHashMap<>();
    private int pending;
    private long nextWake = Long.MAX_VALUE;

    private BatchPlanner(Config config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    public static BatchPlanner create(Config config) {
        return new BatchPlanner(config);
    }

    public AddResult add(Request request, long nowNanos) {
        if (request.batchSize() < 1 || request.batchSize() > config.maxBatchSize()) {
            return AddResult.BATCH_TOO_LARGE;
        }
        if (request.deadlineNanos() - nowNanos <= 0) {
            return AddResult.DEADLINE_EXCEEDED;
        }
        if (config.maxQueueSize() > 0 && pending >= config.maxQueueSize()) {
            return AddResult.QUEUE_FULL;
        }
        long timeoutAt = config.defaultTimeoutNanos() == 0
                ? Long.MAX_VALUE
                : request.enqueuedNanos() + config.defaultTimeoutNanos();
        groups.computeIfAbsent(request.stackKey(), k -> new ArrayList<>()).add(new Entry(request, timeoutAt));
        pending++;
        nextWake = Math.min(nextWake, nowNanos);
        return AddResult.ACCEPTED;
    }

    public Plan plan(long nowNanos) {
        return plan(nowNanos, Integer.MAX_VALUE);
    }

    /**
     * As {@link #plan(long)}, releasing at most {@code maxBatches} batches (the model instances that
     * are free); batches that were ready beyond that stay pending, and {@link Plan#nextWakeNanos()}
     * is then at or before {@code nowNanos}.
     */
    public Plan plan(long nowNanos, int maxBatches) {
        List<Batch> batches = new ArrayList<>();
        List<Rejected> rejected = new ArrayList<>();
        long wake = Long.MAX_VALUE;
        var groupIt = groups.entrySet().iterator();
        while (groupIt.hasNext()) {
            var group = groupIt.next();
            List<Entry> entries = group.getValue();
            expire(entries, nowNanos, rejected);
            entries.sort(ORDER);
            while (!entries.isEmpty() && batches.size() < maxBatches) {
                int take = ready(entries, nowNanos);
                if (take == 0) {
                    break;
                }
                List<Request> members = new ArrayList<>(take);
                int[] sizes = new int[take];
                for (int i = 0; i < take; i++) {
                    members.add(entries.get(i).request);
                    sizes[i] = entries.get(i).request.batchSize();
                }
                entries.subList(0, take).clear();
                pending -= take;
                batches.add(new Batch(group.getKey(), List.copyOf(members), BatchSplit.of(sizes)));
            }
            if (entries.isEmpty()) {
                groupIt.remove();
                continue;
            }
            if (batches.size() >= maxBatches && ready(entries, nowNanos) > 0) {
                wake = Math.min(wake, nowNanos);
            }
            wake = Math.min(wake, oldest(entries) + config.maxQueueDelayNanos());
            for (Entry e : entries) {
                wake = Math.min(wake, e.request.deadlineNanos());
                if (!e.delayed) {
                    wake = Math.min(wake, e.timeoutAt);
                }
            }
        }
        nextWake = wake;
        return new Plan(List.copyOf(batches), List.copyOf(rejected), wake);
    }

    /**
     * Removes the requests whose deadline (or REJECT timeout) passed, without forming batches, so a
     * worker that may not run a batch now can still answer them on time; DELAY timeouts are marked.
     */
    public List<Rejected> expire(long nowNanos) {
        List<Rejected> rejected = new ArrayList<>();
        var groupIt = groups.values().iterator();
        while (groupIt.hasNext()) {
            List<Entry> entries = groupIt.next();
            expire(entries, nowNanos, rejected);
            if (entries.isEmpty()) {
                groupIt.remove();
            }
        }
        return List.copyOf(rejected);
    }

    /** Removes and returns every pending request (the worker is closing). */
    public List<Request> clear() {
        List<Request> all = new ArrayList<>(pending);
        groups.values().forEach(entries -> entries.forEach(e -> all.add(e.request)));
        groups.clear();
        pending = 0;
        nextWake = Long.MAX_VALUE;
        return all;
    }

    /** When the worker should call {@link #plan} again; {@code Long.MAX_VALUE} when idle. */
    public long nextWakeNanos() {
        return nextWake;
    }

    public int pending() {
        return pending;
    }

    private void expire(List<Entry> entries, long nowNanos, List<Rejected> rejected) {
        var it = entries.iterator();
        while (it.hasNext()) {
            Entry e = it.next();
            if (e.request.deadlineNanos() - nowNanos <= 0) {
                it.remove();
                pending--;
                rejected.add(new Rejected(e.request, RejectReason.DEADLINE_EXCEEDED));
            } else if (!e.delayed && e.timeoutAt - nowNanos <= 0) {
                if (config.timeoutAction() == TimeoutAction.REJECT) {
                    it.remove();
                    pending--;
                    rejected.add(new Rejected(e.request, RejectReason.TIMEOUT));
                } else {
                    e.delayed = true;
                }
            }
        }
    }

    /** How many of the ordered entries form a batch ready now; 0 when none is. */
    private int ready(List<Entry> entries, long nowNanos) {
        int sum = 0;
        int fit = 0;
        int preferredPrefix = 0;
        while (fit < entries.size() && sum + entries.get(fit).request.batchSize() <= config.maxBatchSize()) {
            sum += entries.get(fit).request.batchSize();
            fit++;
            if (config.preferredBatchSizes().contains(sum)) {
                preferredPrefix = fit;
            }
        }
        boolean full = sum == config.maxBatchSize() || fit < entries.size();
        if (full) {
            return sum == config.maxBatchSize() || preferredPrefix == 0 ? fit : preferredPrefix;
        }
        if (nowNanos - oldest(entries) >= config.maxQueueDelayNanos()) {
            return fit;
        }
        return preferredPrefix;
    }

    private static long oldest(List<Entry> entries) {
        long oldest = Long.MAX_VALUE;
        for (Entry e : entries) {
            oldest = Math.min(oldest, e.request.enqueuedNanos());
        }
        return oldest;
    }
}
