package dev.modelmux.admin.internal;

import dev.modelmux.admin.AdminEvent;
import dev.modelmux.admin.AdminFailure;
import dev.modelmux.admin.CapacitySource;
import dev.modelmux.admin.MeshActions;
import dev.modelmux.admin.MeshReadModel;
import dev.modelmux.admin.MeshView;
import dev.modelmux.admin.ModelFigures;
import dev.modelmux.admin.TenantDirectory;
import dev.modelmux.admission.tenant.Tenant;
import dev.modelmux.admission.tenant.TenantPolicy;
import dev.modelmux.admission.tenant.TenantStats;
import dev.modelmux.placement.capacity.CapacityPlan;
import dev.modelmux.placement.capacity.CapacityPolicy;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * An in-memory backend for the admin routes: what it serves is set by the test, every action is
 * recorded in {@link #calls}, and {@link #failNext} makes the next action fail with a given failure.
 */
final class FakeMesh implements MeshReadModel, MeshActions, TenantDirectory, CapacitySource {
    static final String NODE = "node-a";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.\\-]{0,127}");

    final List<String> calls = new CopyOnWriteArrayList<>();
    volatile MeshView mesh = new MeshView(NODE, List.of(NODE), List.of(), List.of());
    volatile List<ModelFigures> models = List.of();
    final List<AdminEvent> events = new CopyOnWriteArrayList<>();
    private final List<Consumer<AdminEvent>> listeners = new CopyOnWriteArrayList<>();
    volatile RuntimeException failNext;

    volatile TenantPolicy policy = TenantPolicy.defaultPolicy();
    volatile boolean policyUnreadable;
    volatile int nodes = 1;
    final Map<String, TenantStats> stats = new HashMap<>();
    final Map<String, TenantUsage> usage = new HashMap<>();

    volatile CapacityPlan plan = CapacityPlan.compute(List.of(), List.of(), CapacityPolicy.defaults());
    volatile CapacityQuery lastQuery;

    // ---------------------------------------------------------------- reads

    @Override
    public String nodeId() {
        return NODE;
    }

    @Override
    public Future<MeshView> mesh() {
        return Future.succeededFuture(mesh);
    }

    @Override
    public Future<List<ModelFigures>> models() {
        return Future.succeededFuture(models);
    }

    @Override
    public List<AdminEvent> events(long afterSeq, int max) {
        List<AdminEvent> out = new ArrayList<>();
        for (int i = events.size() - 1; i >= 0 && out.size() < max; i--) {
            if (events.get(i).seq() <= afterSeq) {
                break;
            }
            out.add(0, events.get(i));
        }
        return out;
    }

    @Override
    public long lastEventSeq() {
        return events.isEmpty() ? -1 : events.get(events.size() - 1).seq();
    }

    @Override
    public int eventsKept() {
        return 5;
    }

    @Override
    public Runnable onEvent(Consumer<AdminEvent> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /** Adds an event as the mesh's timeline would, telling the listeners (from this thread). */
    void publish(AdminEvent e) {
        events.add(e);
        listeners.forEach(l -> l.accept(e));
    }

    int listeners() {
        return listeners.size();
    }

    // ---------------------------------------------------------------- actions

    @Override
    public Future<CopyRef> load(String model, Optional<String> version, Optional<String> node) {
        act("load " + model + " " + version.orElse("-") + " " + node.orElse("-"));
        long v = version.map(s -> {
                    if (!s.matches("[1-9][0-9]{0,17}")) {
                        throw AdminFailure.badRequest("model version '" + s + "' is not a positive integer");
                    }
                    return Long.parseLong(s);
                })
                .orElse(1L);
        return Future.succeededFuture(new CopyRef(node.orElse(NODE), v));
    }

    @Override
    public Future<List<CopyRef>> unload(String model, Optional<String> node) {
        act("unload " + model + " " + node.orElse("-"));
        return Future.succeededFuture(List.of(new CopyRef(node.orElse(NODE), 1), new CopyRef("node-b", 2)));
    }

    @Override
    public Future<PinState> pin(String model, boolean pin) {
        act((pin ? "pin " : "unpin ") + model);
        return Future.succeededFuture(new PinState(pin, true));
    }

    @Override
    public Future<Boolean> drain(String node, boolean drain) {
        act((drain ? "drain " : "undrain ") + node);
        return Future.succeededFuture(drain);
    }

    /** Records an action, after failing it as the test asked and validating a model name as the node does. */
    private void act(String call) {
        RuntimeException f = failNext;
        failNext = null;
        calls.add(call);
        if (f != null) {
            throw f;
        }
        String subject = call.split(" ")[1];
        if (!call.startsWith("drain")
                && !call.startsWith("undrain")
                && !NAME.matcher(subject).matches()) {
            throw AdminFailure.badRequest("model name '" + subject + "' may contain only letters, digits");
        }
    }

    // ---------------------------------------------------------------- tenants

    @Override
    public TenantsView view() {
        return new TenantsView(policy, policy.isOpen() ? "default" : "api", nodes, stats);
    }

    @Override
    public Optional<TenantUsage> usage(String tenant) {
        return Optional.ofNullable(usage.get(tenant));
    }

    @Override
    public synchronized Future<TenantPolicy> change(
            OptionalLong ifMatch, UnaryOperator<List<Tenant>> edit, String note) {
        calls.add("change " + note);
        long at = policy.version();
        if (ifMatch.isPresent() && ifMatch.getAsLong() != at) {
            return Future.failedFuture(AdminFailure.versionConflict(
                    "the tenant policy is at version " + at + ", not " + ifMatch.getAsLong(), at));
        }
        try {
            List<Tenant> current = policyUnreadable ? null : at == 0 ? List.of() : policy.tenants();
            policy = TenantPolicy.of(at + 1, edit.apply(current));
            return Future.succeededFuture(policy);
        } catch (RuntimeException e) {
            return Future.failedFuture(e);
        }
    }

    // ---------------------------------------------------------------- capacity

    @Override
    public long retentionMillis() {
        return 900_000;
    }

    @Override
    public Future<CapacityReport> advise(CapacityQuery query) {
        lastQuery = query;
        return Future.succeededFuture(new CapacityReport(NODE, plan, 60_000));
    }
}
