package dev.modelmux.node.endpoints;

import dev.modelmux.admission.sched.Caller;
import dev.modelmux.gpu.TensorData;
import dev.modelmux.node.endpoints.EndpointSpec.TargetRef;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.path.InferRequest;
import dev.modelmux.node.path.InferencePath;
import dev.modelmux.node.predlog.LogLimits;
import dev.modelmux.node.predlog.PredictionRecord;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * ModelInfer (gRPC and REST) through an endpoint's name: the version is picked under the
 * endpoint's policy and the request served as one for that model version; the response names the
 * model and version that answered, plus the parameters {@code endpoint} and {@code policy_version}.
 * The canary splits by the request parameter {@code entity_id} (else the request id); segment rules
 * read the parameters {@code region}, {@code device_class} and {@code risk_tier}, and the caller's
 * tenant. Tenant admission already ran on the endpoint's name. No ladder here: a failure is the
 * model's status. The request {@code id} is at most 256 bytes (it is logged); under {@code always}
 * durability the answer waits for its record's fsync.
 */
final class EndpointInference implements InferencePath.EndpointRouter {
    private static final int MAX_LOGGED_VALUES = 64;

    private final EndpointSync sync;
    private final InferencePath path;
    private final ShadowTraffic shadow;
    private final RecordSink sink;
    private final EndpointMetrics metrics;
    private final LongSupplier clock;

    EndpointInference(
            EndpointSync sync,
            InferencePath path,
            ShadowTraffic shadow,
            RecordSink sink,
            EndpointMetrics metrics,
            LongSupplier clock) {
        this.sync = sync;
        this.path = path;
        this.shadow = shadow;
        this.sink = sink;
        this.metrics = metrics;
        this.clock = clock;
    }

    @Override
    public boolean handles(String name) {
        return sync.table().has(name);
    }

    @Override
    public Future<InferencePath.Answer> infer(InferRequest req, Caller caller, String protocol, long startNanos) {
        EndpointTable table = sync.table();
        EndpointDocument.Entry entry = table.find(req.model()).orElse(null);
        if (entry == null) {
            return Future.failedFuture(ServingException.notFound("no endpoint '" + req.model() + "'"));
        }
        EndpointSpec e = entry.spec();
        if (!req.version().isEmpty()) {
            return Future.failedFuture(ServingException.invalid(
                    "'" + e.name() + "' is an endpoint: its policy picks the version; " + "send no model version"));
        }
        Map<String, String> context = new HashMap<>();
        for (String k : EndpointsLoader.CONTEXT_KEYS) {
            if (req.parameters().get(k) instanceof String s) {
                context.put(k, s);
            }
        }
        context.put("tenant", caller.tenantId());
        String entityId = req.parameters().get("entity_id") instanceof String s ? s : "";
        TargetRef t = TrafficRouting.choose(e, entityId, req.id(), context);
        try {
            LogLimits.checkId("id", req.id());
        } catch (ServingException bad) {
            return Future.failedFuture(bad);
        }
        String logId = req.id().isEmpty() ? UUID.randomUUID().toString() : req.id();
        boolean waits = sink.waits(e);
        Context here = Vertx.currentContext();
        Future<InferencePath.Answer> answer = path.inferModel(to(req, t), caller, protocol, startNanos, false)
                .map(a -> a.withParameters(
                        Map.of("endpoint", e.name(), "policy_version", Long.toString(table.version()))));
        if (waits) {
            // Under "always": answered once the record is fsynced (it completes on the log's writer, then here).
            answer = answer.compose(
                    a -> sink.offerDurable(e, record(e, table.version(), req, caller, t, logId, a, startNanos), here)
                            .map(a));
        }
        return answer.andThen(ar -> {
            metrics.answered(e.name(), "infer", ar.succeeded() ? DecisionService.PRIMARY : "error");
            if (ar.succeeded()) {
                InferencePath.Answer answered = ar.result();
                // After the response is on its way: the log record (unless written already) and the shadow copy.
                DecisionService.afterResponse(() -> {
                    if (!waits) {
                        sink.offer(e, record(e, table.version(), req, caller, t, logId, answered, startNanos));
                    }
                    EndpointSpec.Shadow s = e.policy().shadow();
                    if (s != null) {
                        long start = clock.getAsLong();
                        shadow.send(
                                e,
                                logId,
                                caller,
                                () -> Future.succeededFuture(to(req, s.target())),
                                shadowAnswer -> sink.offer(
                                        e,
                                        new PredictionRecord(
                                                "shadow",
                                                logId,
                                                caller.tenantId(),
                                                e.name(),
                                                s.target().model(),
                                                s.target().version(),
                                                table.version(),
                                                inputs(req),
                                                outputs(shadowAnswer),
                                                null,
                                                null,
                                                TimeUnit.NANOSECONDS.toMicros(clock.getAsLong() - start),
                                                "shadow",
                                                false,
                                                System.currentTimeMillis())));
                    }
                });
            }
        });
    }

    private PredictionRecord record(
            EndpointSpec e,
            long policyVersion,
            InferRequest req,
            Caller caller,
            TargetRef t,
            String logId,
            InferencePath.Answer answered,
            long startNanos) {
        return new PredictionRecord(
                "infer",
                logId,
                caller.tenantId(),
                e.name(),
                t.model(),
                t.version(),
                policyVersion,
                inputs(req),
                outputs(answered),
                null,
                null,
                TimeUnit.NANOSECONDS.toMicros(clock.getAsLong() - startNanos),
                DecisionService.PRIMARY,
                false,
                System.currentTimeMillis());
    }

    /** The request as one for model version {@code t} (gRPC bytes passed on as they came, with the model renamed). */
    private static InferRequest to(InferRequest req, TargetRef t) {
        String v = Long.toString(t.version());
        return req.forTarget(
                t.model(),
                v,
                req.wire() == null
                        ? null
                        : req.wire().toBuilder()
                                .setModelName(t.model())
                                .setModelVersion(v)
                                .build());
    }

    /** What the log keeps of the inputs: names, types and shapes (the tensors themselves can be large). */
    private static Map<String, Object> inputs(InferRequest req) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (TensorData t : req.inputs()) {
            List<Long> shape = new ArrayList<>();
            for (long d : t.shape()) {
                shape.add(d);
            }
            m.put(t.name(), Map.of("datatype", t.type().protocolName(), "shape", shape));
        }
        return m;
    }

    /** What the log keeps of the outputs: the values of small FP32/FP64 outputs, the size in bytes of the others. */
    private static Map<String, Object> outputs(InferencePath.Answer a) {
        Map<String, Object> m = new LinkedHashMap<>();
        Map<String, Long> sizes = new LinkedHashMap<>();
        if (a.result() != null) {
            a.result()
                    .outputs()
                    .forEach(t -> sizes.put(
                            t.name(), (long) (t.raw() == null ? -1 : t.raw().remaining())));
        } else {
            for (int i = 0; i < a.forwarded().getOutputsCount(); i++) {
                sizes.put(a.forwarded().getOutputs(i).getName(), (long)
                        a.forwarded().getRawOutputContents(i).size());
            }
        }
        sizes.forEach((name, bytes) -> {
            Map<String, Object> o = new LinkedHashMap<>();
            if (bytes < 0 || bytes > MAX_LOGGED_VALUES * 8L) {
                o.put("bytes", bytes);
            } else {
                try {
                    List<Double> list = new ArrayList<>();
                    for (double d : ModelStep.output(a, name)) {
                        list.add(d);
                    }
                    o.put("values", list);
                } catch (ServingException notNumeric) {
                    o.put("bytes", bytes);
                }
            }
            m.put(name, o);
        });
        return m;
    }
}
