package dev.modelmux.node.metrics;

import dev.modelmux.gpu.Executions;
import dev.modelmux.gpu.InferenceResult;
import dev.modelmux.gpu.ModelKey;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * Triton's per model version statistics as this node measured them since it started (the statistics
 * extension): requests that ran here, succeeded or failed, with their time in total, queued, preparing
 * inputs, in the runtime and extracting outputs; executions (a request alone or a dynamic batch) per
 * batch size. Requests this node only forwarded are counted by the node that ran them, so summing the
 * nodes' figures counts each request once. Bounded by the model versions that saw traffic; an entry is a
 * few hundred bytes.
 */
public final class InferStats implements Executions {
    private final LongSupplier wallMillis;
    private final ConcurrentHashMap<ModelKey, Entry> entries = new ConcurrentHashMap<>();

    public InferStats(LongSupplier wallMillis) {
        this.wallMillis = wallMillis;
    }

    /** A request that ran here and succeeded: {@code rows} inferences, {@code totalNanos} from receipt to answer. */
    public void success(ModelKey key, long rows, long totalNanos, InferenceResult r) {
        entry(key).success(rows, totalNanos, r, wallMillis.getAsLong());
    }

    /** A request for a resolved version that failed here. */
    public void failure(ModelKey key, long totalNanos) {
        entry(key).failure(totalNanos, wallMillis.getAsLong());
    }

    @Override
    public void executed(ModelKey key, long batchSize, long inputNanos, long inferNanos, long outputNanos, boolean ok) {
        if (ok) {
            entry(key).executed(batchSize, inputNanos, inferNanos, outputNanos);
        }
    }

    /** The figures of the versions {@code filter} accepts, ordered by model then version. */
    public List<Snapshot> snapshot(Predicate<ModelKey> filter) {
        List<Snapshot> out = new ArrayList<>();
        entries.forEach((k, e) -> {
            if (filter.test(k)) {
                out.add(e.snapshot(k));
            }
        });
        out.sort(Comparator.comparing((Snapshot s) -> s.key().model())
                .thenComparingLong(s -> s.key().version()));
        return out;
    }

    private Entry entry(ModelKey key) {
        return entries.computeIfAbsent(key, k -> new Entry());
    }

    /** A count and a total duration. */
    public record Duration(long count, long nanos) {}

    /** The executions of one batch size. */
    public record Batch(long batchSize, Duration computeInput, Duration computeInfer, Duration computeOutput) {}

    /** One model version's figures. */
    public record Snapshot(
            ModelKey key,
            long lastInferenceMillis,
            long inferenceCount,
            long executionCount,
            Duration success,
            Duration fail,
            Duration queue,
            Duration computeInput,
            Duration computeInfer,
            Duration computeOutput,
            List<Batch> batches) {}

    private static final class Entry {
        private long last;
        private long inferences;
        private long executions;
        private long successCount;
        private long successNanos;
        private long failCount;
        private long failNanos;
        private long queueNanos;
        private long inputNanos;
        private long inferNanos;
        private long outputNanos;
        private final Map<Long, long[]> batches = new TreeMap<>();

        synchronized void success(long rows, long totalNanos, InferenceResult r, long now) {
            last = Math.max(last, now);
            inferences += rows;
            successCount++;
            successNanos += totalNanos;
            queueNanos += r.queueNanos();
            inputNanos += r.inputNanos();
            inferNanos += r.inferNanos();
            outputNanos += r.outputNanos();
        }

        synchronized void failure(long totalNanos, long now) {
            last = Math.max(last, now);
            failCount++;
            failNanos += totalNanos;
        }

        synchronized void executed(long batchSize, long in, long infer, long out) {
            executions++;
            long[] b = batches.computeIfAbsent(batchSize, k -> new long[4]);
            b[0]++;
            b[1] += in;
            b[2] += infer;
            b[3] += out;
        }

        synchronized Snapshot snapshot(ModelKey key) {
            List<Batch> bs = new ArrayList<>(batches.size());
            batches.forEach((size, b) -> bs.add(
                    new Batch(size, new Duration(b[0], b[1]), new Duration(b[0], b[2]), new Duration(b[0], b[3]))));
            return new Snapshot(
                    key,
                    last,
                    inferences,
                    executions,
                    new Duration(successCount, successNanos),
                    new Duration(failCount, failNanos),
                    new Duration(successCount, queueNanos),
                    new Duration(successCount, inputNanos),
                    new Duration(successCount, inferNanos),
                    new Duration(successCount, outputNanos),
                    List.copyOf(bs));
        }
    }
}
