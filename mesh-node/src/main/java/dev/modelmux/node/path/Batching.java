package dev.modelmux.node.path;

import dev.modelmux.admission.sched.BatchPlanner;
import dev.modelmux.admission.sched.BatchPolicy;
import dev.modelmux.admission.sched.BatchingMode;
import dev.modelmux.gpu.TensorData;
import dev.modelmux.repo.ModelConfigs;
import dev.modelmux.repo.config.ModelConfig;
import dev.modelmux.repo.config.ModelDynamicBatching;
import dev.modelmux.repo.config.ModelQueuePolicy;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * What the device queue needs to batch a model version, read from its {@code config.pbtxt} and its
 * requests: the {@link BatchPolicy}, each request's stack key and rows. Stacking and splitting the
 * tensors is gpu-scheduler's {@code Batches}.
 */
final class Batching {
    private Batching() {}

    /**
     * How a model version batches: empty when it does not ({@code max_batch_size} 0 or no
     * {@code dynamic_batching}). A REJECT default queue timeout becomes the policy's
     * {@code rejectTimeoutNanos} (it shortens each request's deadline); a DELAY one the planner's.
     * The {@code batching} parameter is the policy's mode: {@code auto} (the default) batches only
     * where the device measures batches cheaper per row, {@code always} and {@code never} force it.
     */
    static Optional<BatchPolicy> policy(ModelConfig config) {
        if (config.getMaxBatchSize() <= 0 || !config.hasDynamicBatching()) {
            return Optional.empty();
        }
        ModelDynamicBatching db = config.getDynamicBatching();
        ModelQueuePolicy q = db.getDefaultQueuePolicy();
        List<Integer> preferred = db.getPreferredBatchSizeList().stream()
                .filter(p -> p >= 1 && p <= config.getMaxBatchSize())
                .distinct()
                .sorted()
                .toList();
        boolean delay = q.getTimeoutAction() == ModelQueuePolicy.TimeoutAction.DELAY;
        long timeoutNanos = nanos(q.getDefaultTimeoutMicroseconds());
        BatchPlanner.Config planner = new BatchPlanner.Config(
                config.getMaxBatchSize(),
                preferred,
                nanos(db.getMaxQueueDelayMicroseconds()),
                0, // the model's queue bound is enforced across the fair queue and the planner together
                delay ? timeoutNanos : 0,
                delay ? BatchPlanner.TimeoutAction.DELAY : BatchPlanner.TimeoutAction.REJECT);
        // uint64 in the config: a value past Long.MAX_VALUE reads negative here and means "very many".
        int levels = Long.compareUnsigned(db.getPriorityLevels(), 1 << 20) > 0 ? 1 << 20 : (int) db.getPriorityLevels();
        int defaultLevel = levels == 0
                ? 0
                : (int) Math.max(
                        1, Math.min(levels, db.getDefaultPriorityLevel() == 0 ? levels : db.getDefaultPriorityLevel()));
        return Optional.of(new BatchPolicy(
                planner,
                Math.max(0, q.getMaxQueueSize()),
                delay ? 0 : timeoutNanos,
                q.getAllowTimeoutOverride(),
                levels,
                defaultLevel,
                Math.max(1, ModelConfigs.instanceCount(config)),
                BatchingMode.parse(ModelConfigs.batching(config)).orElse(BatchingMode.AUTO)));
    }

    /** Nanoseconds from a config's uint64 microseconds, saturated (a value past Long.MAX_VALUE reads negative). */
    private static long nanos(long unsignedMicros) {
        return Long.compareUnsigned(unsignedMicros, Long.MAX_VALUE / 1000) > 0
                ? Long.MAX_VALUE / 1000 * 1000
                : unsignedMicros * 1000;
    }

    /** The stack key of a request: each input's name, type and dims after the first, sorted by name. */
    static BatchPlanner.StackKey stackKey(List<TensorData> inputs) {
        List<BatchPlanner.StackKey.Input> parts = new ArrayList<>(inputs.size());
        for (TensorData t : inputs) {
            long[] s = t.shape();
            List<Long> rest = new ArrayList<>(Math.max(0, s.length - 1));
            for (int i = 1; i < s.length; i++) {
                rest.add(s[i]);
            }
            parts.add(new BatchPlanner.StackKey.Input(t.name(), t.type().name(), rest));
        }
        parts.sort(Comparator.comparing(BatchPlanner.StackKey.Input::name));
        return new BatchPlanner.StackKey(parts);
    }

    /** The batch size of a validated request of a batching model: the first dim of its inputs. */
    static int rows(List<TensorData> inputs) {
        return inputs.isEmpty() || inputs.get(0).shape().length == 0
                ? 1
                : (int) Math.max(1, inputs.get(0).shape()[0]);
    }
}
