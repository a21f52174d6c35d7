package dev.modelmux.node.path;

import dev.modelmux.admission.sched.BatchPlanner;
import dev.modelmux.admission.sched.BatchSplit;
import dev.modelmux.gpu.TensorData;
import dev.modelmux.repo.DataType;
import dev.modelmux.repo.ModelConfigs;
import dev.modelmux.repo.config.ModelConfig;
import dev.modelmux.repo.config.ModelDynamicBatching;
import dev.modelmux.repo.config.ModelQueuePolicy;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Stacking requests of one model version along the batch dimension and splitting the outputs back.
 * Tensors are row-major, so stacking is concatenation of each input's bytes (or strings) in member
 * order, and member {@code i} owns rows {@code [start(i), end(i))} of every output.
 */
final class Batching {
    private Batching() {}

    /**
     * How a model version batches, from its {@code config.pbtxt}: empty when it does not
     * ({@code max_batch_size} 0 or no {@code dynamic_batching}).
     */
    static Optional<Policy> policy(ModelConfig config) {
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
        long timeoutNanos =
                Math.multiplyExact(Math.min(q.getDefaultTimeoutMicroseconds(), Long.MAX_VALUE / 1000), 1000L);
        BatchPlanner.Config planner = new BatchPlanner.Config(
                config.getMaxBatchSize(),
                preferred,
                Math.min(db.getMaxQueueDelayMicroseconds(), Long.MAX_VALUE / 1000) * 1000L,
                0, // the model's queue bound is enforced across the fair queue and the planner together
                delay ? timeoutNanos : 0,
                delay ? BatchPlanner.TimeoutAction.DELAY : BatchPlanner.TimeoutAction.REJECT);
        int levels = (int) Math.min(db.getPriorityLevels(), 1 << 20);
        int defaultLevel = levels == 0
                ? 0
                : (int) Math.max(
                        1, Math.min(levels, db.getDefaultPriorityLevel() == 0 ? levels : db.getDefaultPriorityLevel()));
        return Optional.of(new Policy(
                planner,
                q.getMaxQueueSize(),
                delay ? 0 : timeoutNanos,
                q.getAllowTimeoutOverride(),
                levels,
                defaultLevel,
                Math.max(1, ModelConfigs.instanceCount(config))));
    }

    /**
     * @param rejectTimeoutNanos the model's default queue timeout when its action is REJECT (0 = none):
     *     folded into each request's deadline
     * @param maxQueueSize requests of this model waiting on the device; 0 = unbounded
     * @param instances batches of this model that may run at once ({@code instance_group} count), as
     *     in Triton, where each model instance executes one batch at a time: while they are all busy,
     *     arriving requests gather into the next, larger batch
     */
    record Policy(
            BatchPlanner.Config planner,
            int maxQueueSize,
            long rejectTimeoutNanos,
            boolean allowTimeoutOverride,
            int priorityLevels,
            int defaultPriorityLevel,
            int instances) {}

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
                : (int) inputs.get(0).shape()[0];
    }

    /** The members' inputs stacked along dimension 0, by input name in the first member's order. */
    static List<TensorData> stack(List<List<TensorData>> members) {
        List<TensorData> first = members.get(0);
        List<TensorData> out = new ArrayList<>(first.size());
        for (TensorData proto : first) {
            List<TensorData> parts = new ArrayList<>(members.size());
            long rows = 0;
            for (List<TensorData> m : members) {
                TensorData t = m.stream()
                        .filter(x -> x.name().equals(proto.name()))
                        .findFirst()
                        .orElseThrow(() ->
                                new IllegalArgumentException("members differ in inputs: no '" + proto.name() + "'"));
                parts.add(t);
                rows += t.shape()[0];
            }
            long[] shape = proto.shape();
            shape[0] = rows;
            if (proto.type() == DataType.BYTES) {
                List<byte[]> strings = new ArrayList<>();
                parts.forEach(p -> strings.addAll(p.strings()));
                out.add(TensorData.ofStrings(proto.name(), shape, strings));
            } else {
                int bytes = 0;
                for (TensorData p : parts) {
                    bytes = Math.addExact(bytes, p.raw().remaining());
                }
                ByteBuffer buf = ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
                for (TensorData p : parts) {
                    buf.put(p.raw().duplicate());
                }
                buf.flip();
                out.add(TensorData.ofRaw(proto.name(), proto.type(), shape, buf));
            }
        }
        return out;
    }

    /** Output names to ask the batched run for: every member's, in first-seen order. */
    static Set<String> union(List<Set<String>> wanted) {
        Set<String> all = new LinkedHashSet<>();
        wanted.forEach(all::addAll);
        return all;
    }

    /**
     * Member {@code member}'s share of the batched outputs, the outputs it asked for in its order.
     *
     * @throws IllegalStateException when an output does not carry the batch along dimension 0
     */
    static List<TensorData> split(List<TensorData> outputs, BatchSplit split, int member, Set<String> wanted) {
        List<TensorData> mine = new ArrayList<>(wanted.size());
        for (String name : wanted) {
            TensorData t = outputs.stream()
                    .filter(o -> o.name().equals(name))
                    .findFirst()
                    .orElseThrow(() -> new IllegalStateException("batched run returned no output '" + name + "'"));
            long[] shape = t.shape();
            if (shape.length == 0 || shape[0] != split.totalRows()) {
                throw new IllegalStateException("output '" + name + "' has shape " + Arrays.toString(shape) + ", not "
                        + split.totalRows() + " rows along dimension 0");
            }
            int start = split.start(member);
            int end = split.end(member);
            long[] part = shape.clone();
            part[0] = end - start;
            if (t.type() == DataType.BYTES) {
                int perRow = t.strings().size() / split.totalRows();
                mine.add(TensorData.ofStrings(
                        name, part, List.copyOf(t.strings().subList(start * perRow, end * perRow))));
            } else {
                int perRow = t.raw().remaining() / split.totalRows();
                ByteBuffer view = t.raw().duplicate().order(ByteOrder.LITTLE_ENDIAN);
                view.position(view.position() + start * perRow).limit(view.position() + (end - start) * perRow);
                mine.add(TensorData.ofRaw(name, t.type(), part, view.slice().order(ByteOrder.LITTLE_ENDIAN)));
            }
        }
        return mine;
    }
}
