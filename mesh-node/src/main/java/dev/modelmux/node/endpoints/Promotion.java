package dev.modelmux.node.endpoints;

import dev.modelmux.node.catalog.ControlMode;
import dev.modelmux.node.catalog.ModelManager;
import dev.modelmux.node.endpoints.EndpointSpec.Schema;
import dev.modelmux.node.endpoints.EndpointSpec.TargetRef;
import dev.modelmux.node.endpoints.EndpointSpec.Tensor;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.mesh.MeshLoader;
import dev.modelmux.repo.config.ModelConfig;
import dev.modelmux.repo.config.ModelInput;
import dev.modelmux.repo.config.ModelOutput;
import dev.modelmux.repo.config.ModelParameter;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The promotion gate and the load-before-traffic rule, run by the node that writes an endpoint
 * before the write: every model version the endpoint names must be served by its model, have an
 * input/output signature compatible with the endpoint's schema (names, data types, dims; -1
 * matches any) and hold the endpoint's {@code metadata} as equal {@code config.pbtxt} parameters;
 * then every one of them is loaded and READY somewhere in the mesh. A refusal is a
 * FAILED_PRECONDITION (409 over REST) naming the target and what differs.
 */
final class Promotion {
    private final ModelManager models;
    private final MeshLoader loader;

    Promotion(ModelManager models, MeshLoader loader) {
        this.models = models;
        this.loader = loader;
    }

    /** The endpoint ready to take traffic: its schema resolved (the first target's when none is declared), every target gated and READY. */
    Future<EndpointSpec> admit(EndpointSpec spec) {
        if (models.knows(spec.name())) {
            return Future.failedFuture(refused("endpoint name '" + spec.name()
                    + "' is the name of a model of the repository; " + "an endpoint needs a name of its own"));
        }
        List<TargetRef> targets = spec.allTargets();
        Map<TargetRef, Future<ModelConfig>> configs = new LinkedHashMap<>();
        for (TargetRef t : targets) {
            configs.put(t, config(spec, t));
        }
        return Future.all(new ArrayList<>(configs.values())).compose(all -> {
            Schema schema = spec.schema() != null
                    ? spec.schema()
                    : signature(configs.get(spec.firstTarget()).result());
            EndpointSpec resolved = spec.withSchema(schema);
            checkDecisions(resolved);
            for (TargetRef t : targets) {
                List<String> problems =
                        new ArrayList<>(mismatches(schema, configs.get(t).result()));
                problems.addAll(metadata(spec.metadata(), configs.get(t).result()));
                if (!problems.isEmpty()) {
                    throw refused("model " + t + " cannot join endpoint '" + spec.name() + "': "
                            + String.join("; ", problems));
                }
            }
            List<Future<String>> loads = new ArrayList<>();
            for (TargetRef t : targets) {
                loads.add(loader.ensureReady(t.model(), t.version())
                        .recover(e -> Future.failedFuture(refused("model " + t
                                + " of endpoint '" + spec.name()
                                + "' could not be loaded, so the endpoint was not changed: "
                                + ServingException.of(e).getMessage()))));
            }
            return Future.join(loads).transform(ar -> {
                for (Future<String> f : loads) {
                    if (f.failed()) {
                        return Future.failedFuture(f.cause());
                    }
                }
                return Future.succeededFuture(resolved);
            });
        });
    }

    /** The config of a target, after checking that its model serves the version. */
    private Future<ModelConfig> config(EndpointSpec spec, TargetRef t) {
        Future<Void> known = models.knows(t.model()) || models.mode() != ControlMode.EXPLICIT
                ? Future.succeededFuture()
                : models.loadModel(t.model()).recover(e -> Future.succeededFuture());
        return known.compose(v -> {
                    if (!models.knows(t.model())) {
                        return Future.failedFuture(refused(
                                "endpoint '" + spec.name() + "': model '" + t.model() + "' is not in the repository"));
                    }
                    List<Long> served = models.servedVersions(t.model());
                    if (!served.contains(t.version())) {
                        return Future.failedFuture(refused("endpoint '" + spec.name() + "': model '" + t.model()
                                + "' does not serve version " + t.version() + " (it serves " + served
                                + "; its config.pbtxt's version_policy selects what is served)"));
                    }
                    return models.describe(t.model(), Long.toString(t.version()))
                            .map(ModelManager.ModelView::config);
                })
                .recover(e -> Future.failedFuture(
                        e instanceof ServingException se && se.code() == ServingException.Code.FAILED_PRECONDITION
                                ? e
                                : refused("endpoint '" + spec.name() + "': model " + t + ": "
                                        + ServingException.of(e).getMessage())));
    }

    /** A decision reads one FP32 vector built from the features, and a score from an FP32/FP64 output. */
    private static void checkDecisions(EndpointSpec e) {
        if (!e.decides()) {
            return;
        }
        Schema s = e.schema();
        if (s.inputs().size() != 1 || !s.inputs().get(0).dataType().equals("TYPE_FP32")) {
            throw refused("endpoint '" + e.name()
                    + "': decisions need a model with one TYPE_FP32 input (the feature vector); " + "the schema has "
                    + describe(s.inputs()));
        }
        long elements = 1;
        for (long d : s.inputs().get(0).dims()) {
            elements = d < 0 || elements < 0 ? -1 : elements * d;
        }
        int refs = e.features().refs().size();
        if (elements >= 0 && elements != refs) {
            throw refused("endpoint '" + e.name() + "': features.refs lists " + refs + " features but input '"
                    + s.inputs().get(0).name() + "' holds " + elements + " values");
        }
        String output = e.scoreOutput();
        Tensor out = s.outputs().stream()
                .filter(t -> t.name().equals(output))
                .findFirst()
                .orElseThrow(() -> refused("endpoint '" + e.name() + "': decision.output '" + output
                        + "' is not an output of the schema " + describe(s.outputs())));
        if (!out.dataType().equals("TYPE_FP32") && !out.dataType().equals("TYPE_FP64")) {
            throw refused("endpoint '" + e.name() + "': the score's output '" + output + "' is " + out.dataType()
                    + "; it must be TYPE_FP32 or TYPE_FP64");
        }
        long outElements = 1;
        for (long d : out.dims()) {
            outElements = d < 0 || outElements < 0 ? -1 : outElements * d;
        }
        if (outElements >= 0 && e.decision().index() >= outElements) {
            throw refused("endpoint '" + e.name() + "': decision.index "
                    + e.decision().index() + " is past output '" + output + "''s " + outElements + " values");
        }
    }

    /** A model's signature as an endpoint schema. */
    static Schema signature(ModelConfig c) {
        List<Tensor> in = new ArrayList<>();
        for (ModelInput i : c.getInputList()) {
            in.add(new Tensor(i.getName(), i.getDataType().name(), i.getDimsList()));
        }
        List<Tensor> out = new ArrayList<>();
        for (ModelOutput o : c.getOutputList()) {
            out.add(new Tensor(o.getName(), o.getDataType().name(), o.getDimsList()));
        }
        return new Schema(in, out);
    }

    /** What differs between the endpoint's schema and a model's config: every input exactly, the schema's outputs at least. */
    static List<String> mismatches(Schema schema, ModelConfig c) {
        Schema model = signature(c);
        List<String> out = new ArrayList<>();
        compare("input", schema.inputs(), model.inputs(), out);
        for (Tensor t : model.inputs()) {
            if (schema.inputs().stream().noneMatch(s -> s.name().equals(t.name()))) {
                out.add("input '" + t.name() + "' of the model is not in the endpoint's schema");
            }
        }
        compare("output", schema.outputs(), model.outputs(), out);
        return out;
    }

    private static void compare(String kind, List<Tensor> declared, List<Tensor> actual, List<String> out) {
        for (Tensor d : declared) {
            Tensor a = actual.stream()
                    .filter(t -> t.name().equals(d.name()))
                    .findFirst()
                    .orElse(null);
            if (a == null) {
                out.add(kind + " '" + d.name() + "' is missing (the model has " + describe(actual) + ")");
                continue;
            }
            if (!a.dataType().equals(d.dataType())) {
                out.add(kind + " '" + d.name() + "' is " + a.dataType() + ", the endpoint declares " + d.dataType());
            }
            if (!dimsMatch(d.dims(), a.dims())) {
                out.add(kind + " '" + d.name() + "' has dims " + a.dims() + ", the endpoint declares " + d.dims());
            }
        }
    }

    private static boolean dimsMatch(List<Long> a, List<Long> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (a.get(i) != -1 && b.get(i) != -1 && !a.get(i).equals(b.get(i))) {
                return false;
            }
        }
        return true;
    }

    /** The endpoint's metadata keys a model's config parameters lack or hold with another value. */
    static List<String> metadata(Map<String, String> wanted, ModelConfig c) {
        List<String> out = new ArrayList<>();
        wanted.forEach((k, v) -> {
            ModelParameter p = c.getParametersMap().get(k);
            if (p == null) {
                out.add("its config.pbtxt has no parameter '" + k + "' (the endpoint's metadata needs '" + v + "')");
            } else if (!p.getStringValue().equals(v)) {
                out.add("parameter '" + k + "' is '" + p.getStringValue() + "', the endpoint's metadata needs '" + v
                        + "'");
            }
        });
        return out;
    }

    private static String describe(List<Tensor> tensors) {
        return tensors.stream()
                .map(t -> t.name() + " " + t.dataType() + " " + t.dims())
                .toList()
                .toString();
    }

    static ServingException refused(String message) {
        return new ServingException(ServingException.Code.FAILED_PRECONDITION, message);
    }
}
