package dev.modelmux.node.protocol;

import dev.modelmux.cluster.NodeRecord;
import dev.modelmux.gpu.ModelKey;
import dev.modelmux.node.catalog.ModelManager;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.mesh.Forwarder;
import dev.modelmux.node.metrics.InferStats;
import dev.modelmux.node.oip.InferBatchStatistics;
import dev.modelmux.node.oip.InferStatistics;
import dev.modelmux.node.oip.ModelStatistics;
import dev.modelmux.node.oip.ModelStatisticsResponse;
import dev.modelmux.node.oip.StatisticDuration;
import dev.modelmux.repo.ModelNames;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The statistics extension, mesh-wide: a request runs on one node and is counted there, so the
 * figures of a model are the sum over the live nodes of what each measured (counts and durations
 * added, batch statistics added per batch size, {@code last_inference} the latest). The node asked
 * collects its peers' own figures over the cluster-authenticated channel, each within
 * {@value #PEER_TIMEOUT_MS} ms; a peer that does not answer in time is left out of the sum (and logged).
 */
final class Statistics {
    private static final Logger LOG = LoggerFactory.getLogger(Statistics.class);
    static final long PEER_TIMEOUT_MS = 2000;

    private static final InferStatistics ZERO = InferStatistics.getDefaultInstance();

    private final ApiContext api;
    private final InferStats local;
    private final Forwarder peers;

    Statistics(ApiContext api, InferStats local, Forwarder peers) {
        this.api = api;
        this.local = local;
        this.peers = peers;
    }

    /**
     * The figures of {@code name} (all models when empty) and {@code version} (all served versions when
     * empty); this node's alone when {@code localOnly} (a peer collecting the mesh's figures).
     *
     * @param visible the models the caller may see
     * @throws ServingException NOT_FOUND for a model that is not in the repository or a version it does not serve,
     *     PERMISSION_DENIED for a model the caller may not see
     */
    Future<ModelStatisticsResponse> collect(String name, String version, boolean localOnly, Predicate<String> visible) {
        if (!name.isEmpty() && !visible.test(name)) {
            throw new ServingException(
                    ServingException.Code.PERMISSION_DENIED,
                    "this tenant may not use model '" + ModelNames.printable(name) + "'");
        }
        Predicate<ModelKey> filter = filter(name, version).and(k -> visible.test(k.model()));
        List<ModelStatistics> mine = new ArrayList<>();
        for (InferStats.Snapshot s : local.snapshot(filter)) {
            mine.add(proto(s));
        }
        if (!name.isEmpty()) {
            // Every served version appears, with zeros until it has seen traffic.
            for (long v : versions(name, version)) {
                mine.add(ModelStatistics.newBuilder()
                        .setName(name)
                        .setVersion(Long.toString(v))
                        .setInferenceStats(add(ZERO, ZERO))
                        .build());
            }
        }
        if (localOnly) {
            return Future.succeededFuture(merge(List.of(mine)));
        }
        List<Future<ModelStatisticsResponse>> asked = new ArrayList<>();
        for (NodeRecord n : api.cluster().nodes().values()) {
            if (!n.nodeId().equals(api.cluster().nodeId())) {
                asked.add(peers.statistics(n, name, version, PEER_TIMEOUT_MS)
                        .onFailure(t -> LOG.debug(
                                "statistics: node {} did not answer; its figures are left out: {}",
                                n.nodeId(),
                                t.toString())));
            }
        }
        return Future.join(asked).transform(ar -> {
            List<List<ModelStatistics>> parts = new ArrayList<>();
            parts.add(mine);
            for (Future<ModelStatisticsResponse> f : asked) {
                if (f.succeeded()) {
                    parts.add(f.result().getModelStatsList().stream()
                            .filter(m -> visible.test(m.getName()))
                            .toList());
                }
            }
            return Future.succeededFuture(merge(parts));
        });
    }

    private Predicate<ModelKey> filter(String name, String version) {
        if (name.isEmpty()) {
            return k -> true;
        }
        ModelNames.validate(name);
        if (!api.models().knows(name)) {
            throw ServingException.notFound("model '" + name + "' is not in the repository");
        }
        Optional<Long> v = ModelManager.parseVersion(version);
        return k -> k.model().equals(name) && (v.isEmpty() || k.version() == v.get());
    }

    private List<Long> versions(String name, String version) {
        List<Long> served = api.models().servedVersions(name);
        Optional<Long> v = ModelManager.parseVersion(version);
        if (v.isEmpty()) {
            return served;
        }
        if (!served.contains(v.get())) {
            throw ServingException.notFound(
                    "model '" + name + "' has no version " + v.get() + " being served; served versions: " + served);
        }
        return List.of(v.get());
    }

    private static ModelStatistics proto(InferStats.Snapshot s) {
        ModelStatistics.Builder b = ModelStatistics.newBuilder()
                .setName(s.key().model())
                .setVersion(Long.toString(s.key().version()))
                .setLastInference(s.lastInferenceMillis())
                .setInferenceCount(s.inferenceCount())
                .setExecutionCount(s.executionCount())
                .setInferenceStats(InferStatistics.newBuilder()
                        .setSuccess(duration(s.success()))
                        .setFail(duration(s.fail()))
                        .setQueue(duration(s.queue()))
                        .setComputeInput(duration(s.computeInput()))
                        .setComputeInfer(duration(s.computeInfer()))
                        .setComputeOutput(duration(s.computeOutput()))
                        .setCacheHit(StatisticDuration.getDefaultInstance())
                        .setCacheMiss(StatisticDuration.getDefaultInstance()));
        for (InferStats.Batch batch : s.batches()) {
            b.addBatchStats(InferBatchStatistics.newBuilder()
                    .setBatchSize(batch.batchSize())
                    .setComputeInput(duration(batch.computeInput()))
                    .setComputeInfer(duration(batch.computeInfer()))
                    .setComputeOutput(duration(batch.computeOutput())));
        }
        return b.build();
    }

    private static StatisticDuration duration(InferStats.Duration d) {
        return StatisticDuration.newBuilder()
                .setCount(d.count())
                .setNs(d.nanos())
                .build();
    }

    /** Sums the nodes' figures per model version. */
    static ModelStatisticsResponse merge(List<List<ModelStatistics>> parts) {
        Map<String, ModelStatistics.Builder> byKey = new TreeMap<>();
        for (List<ModelStatistics> part : parts) {
            for (ModelStatistics m : part) {
                String key = m.getName() + "\u0000" + String.format("%020d", parseOrZero(m.getVersion()));
                ModelStatistics.Builder sum = byKey.get(key);
                if (sum == null) {
                    byKey.put(key, m.toBuilder());
                    continue;
                }
                sum.setLastInference(Math.max(sum.getLastInference(), m.getLastInference()))
                        .setInferenceCount(sum.getInferenceCount() + m.getInferenceCount())
                        .setExecutionCount(sum.getExecutionCount() + m.getExecutionCount())
                        .setInferenceStats(add(sum.getInferenceStats(), m.getInferenceStats()));
                Map<Long, InferBatchStatistics> batches = new TreeMap<>();
                for (InferBatchStatistics b : sum.getBatchStatsList()) {
                    batches.put(b.getBatchSize(), b);
                }
                for (InferBatchStatistics b : m.getBatchStatsList()) {
                    batches.merge(b.getBatchSize(), b, Statistics::add);
                }
                sum.clearBatchStats().addAllBatchStats(batches.values());
            }
        }
        ModelStatisticsResponse.Builder out = ModelStatisticsResponse.newBuilder();
        byKey.values().forEach(b -> out.addModelStats(b.build()));
        return out.build();
    }

    private static long parseOrZero(String v) {
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static InferStatistics add(InferStatistics a, InferStatistics b) {
        return InferStatistics.newBuilder()
                .setSuccess(add(a.getSuccess(), b.getSuccess()))
                .setFail(add(a.getFail(), b.getFail()))
                .setQueue(add(a.getQueue(), b.getQueue()))
                .setComputeInput(add(a.getComputeInput(), b.getComputeInput()))
                .setComputeInfer(add(a.getComputeInfer(), b.getComputeInfer()))
                .setComputeOutput(add(a.getComputeOutput(), b.getComputeOutput()))
                .setCacheHit(add(a.getCacheHit(), b.getCacheHit()))
                .setCacheMiss(add(a.getCacheMiss(), b.getCacheMiss()))
                .build();
    }

    private static InferBatchStatistics add(InferBatchStatistics a, InferBatchStatistics b) {
        return InferBatchStatistics.newBuilder()
                .setBatchSize(a.getBatchSize())
                .setComputeInput(add(a.getComputeInput(), b.getComputeInput()))
                .setComputeInfer(add(a.getComputeInfer(), b.getComputeInfer()))
                .setComputeOutput(add(a.getComputeOutput(), b.getComputeOutput()))
                .build();
    }

    private static StatisticDuration add(StatisticDuration a, StatisticDuration b) {
        return StatisticDuration.newBuilder()
                .setCount(a.getCount() + b.getCount())
                .setNs(a.getNs() + b.getNs())
                .build();
    }
}
