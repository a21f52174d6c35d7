package dev.modelmux.bench;

import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import dev.modelmux.node.oip.ModelInferRequest;
import dev.modelmux.node.oip.ModelInferResponse;
import dev.modelmux.node.oip.ServerLiveRequest;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.common.GrpcStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;

/**
 * The chaos run's client: workers that send ModelInfer calls (Zipf over the models, two tenants'
 * keys, a share through an endpoint) to the nodes in turn, each answer checked against the
 * in-process reference for that model and input. It behaves like a client behind a health-checked
 * load balancer: a ServerLive probe every 250 ms takes a node out of rotation when it does not
 * answer within 750 ms twice in a row, and a call is tried again on another node (within its one deadline) when
 * its node refused or reset the connection, or stayed silent for a second while failing its probe.
 * Every call ends as exactly one {@link Outcome}, at the latest one second after its deadline.
 */
final class ChaosTraffic implements AutoCloseable {
    enum Outcome {
        /** Answered, and the answer equals the reference. */
        CORRECT,
        /** Answered with a status a client retries (UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED, ABORTED). */
        RETRIABLE,
        /** Answered with values that differ from the reference, or with any other error status. */
        WRONG,
        /** No answer one second after its deadline. */
        LOST
    }

    /** One call: when it was sent and ended (nanoTime), how, the first attempt's status, and whether it moved. */
    record Result(
            long sentNanos, long doneNanos, Outcome outcome, String firstStatus, String finalStatus, boolean retried) {
        double latencyMs() {
            return (doneNanos - sentNanos) / 1e6;
        }
    }

    /** One checked request: what to send and what the answer must be, by the name of the model that answers. */
    record Call(ModelInferRequest request, Map<String, Map<String, float[]>> expected, String tenantKey) {}

    static final long GRACE_MS = 1_000;
    static final long SILENT_MS = 1_000;
    private static final Set<String> RETRY_ELSEWHERE =
            Set.of("CONNECT_FAILED", "UNAVAILABLE", "BROKEN_STREAM", "SILENT");
    private static final Set<String> RETRIABLE = Set.of(
            "UNAVAILABLE",
            "RESOURCE_EXHAUSTED",
            "DEADLINE_EXCEEDED",
            "ABORTED",
            "CONNECT_FAILED",
            "BROKEN_STREAM",
            "SILENT",
            "NO_NODE");

    private final Vertx vertx = Vertx.vertx();
    private final GrpcClient grpc;
    private final IntFunction<SocketAddress> address;
    private final int nodes;
    private final double tolerance;
    private final AtomicIntegerArray healthy;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final ConcurrentLinkedQueue<Result> results = new ConcurrentLinkedQueue<>();
    private final List<Thread> threads = new ArrayList<>();

    ChaosTraffic(int nodes, IntFunction<SocketAddress> address, double tolerance) {
        this.nodes = nodes;
        this.address = address;
        this.tolerance = tolerance;
        this.healthy = new AtomicIntegerArray(nodes);
        for (int i = 0; i < nodes; i++) {
            healthy.set(i, 1);
        }
        this.grpc = GrpcClient.client(
                vertx,
                new GrpcClientOptions().setMaxMessageSize(64L << 20),
                new HttpClientOptions()
                        .setProtocolVersion(HttpVersion.HTTP_2)
                        .setHttp2ClearTextUpgrade(false)
                        .setConnectTimeout(1_000));
        Thread probe = new Thread(this::probeLoop, "chaos-probe");
        probe.setDaemon(true);
        threads.add(probe);
        probe.start();
    }

    /** Starts {@code workers} threads sending {@code calls.get()} with {@code deadlineMs} each, {@code pauseMs} apart. */
    void start(int workers, java.util.function.Function<Random, Call> calls, long deadlineMs, long pauseMs) {
        for (int w = 0; w < workers; w++) {
            Random rnd = new Random(1000 + w);
            Thread t = new Thread(
                    () -> {
                        while (running.get()) {
                            results.add(send(calls.apply(rnd), deadlineMs));
                            sleep(pauseMs);
                        }
                    },
                    "chaos-client-" + w);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    /** Every call that has ended so far. */
    List<Result> results() {
        return new ArrayList<>(results);
    }

    /** Whether node i answered its last probe. */
    boolean healthy(int i) {
        return healthy.get(i) == 1;
    }

    private Result send(Call call, long deadlineMs) {
        long sent = System.nanoTime();
        long deadline = sent + TimeUnit.MILLISECONDS.toNanos(deadlineMs);
        long giveUp = deadline + TimeUnit.MILLISECONDS.toNanos(GRACE_MS);
        boolean[] tried = new boolean[nodes];
        String first = null;
        String last = "NO_NODE";
        boolean retried = false;
        while (System.nanoTime() < deadline) {
            int node = pick(tried);
            if (node < 0) {
                sleep(50);
                continue;
            }
            tried[node] = true;
            long remainingMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
            long attemptStart = System.nanoTime();
            AtomicReference<GrpcClientRequest<ModelInferRequest, ModelInferResponse>> handle = new AtomicReference<>();
            CompletableFuture<MeshClient.Reply> f =
                    attempt(node, call, remainingMs, handle).toCompletionStage().toCompletableFuture();
            MeshClient.Reply reply = null;
            String status;
            while (true) {
                try {
                    reply = f.get(50, TimeUnit.MILLISECONDS);
                    status = reply.status();
                    break;
                } catch (TimeoutException e) {
                    long now = System.nanoTime();
                    if (now > giveUp) {
                        cancel(handle);
                        return new Result(sent, now, Outcome.LOST, first == null ? "LOST" : first, "LOST", retried);
                    }
                    if (now - attemptStart > TimeUnit.MILLISECONDS.toNanos(SILENT_MS) && !healthy(node)) {
                        cancel(handle);
                        status = "SILENT";
                        break;
                    }
                } catch (Exception e) {
                    status = "CLIENT_ERROR";
                    break;
                }
            }
            if (first == null) {
                first = status;
            }
            last = status;
            if (reply != null && reply.ok()) {
                Outcome o = check(call, reply.body()) ? Outcome.CORRECT : Outcome.WRONG;
                return new Result(
                        sent, System.nanoTime(), o, first, o == Outcome.CORRECT ? "OK" : "WRONG_VALUES", retried);
            }
            if (!RETRY_ELSEWHERE.contains(status)) {
                break;
            }
            retried = true;
        }
        Outcome o = RETRIABLE.contains(last) ? Outcome.RETRIABLE : Outcome.WRONG;
        return new Result(sent, System.nanoTime(), o, first == null ? last : first, last, retried);
    }

    private boolean check(Call call, ModelInferResponse body) {
        Map<String, float[]> want = call.expected().get(body.getModelName());
        if (want == null) {
            return false;
        }
        return BenchModel.maxRelativeError(want, BenchModel.outputs(body)) <= tolerance;
    }

    private int pick(boolean[] tried) {
        for (int k = 0; k < nodes; k++) {
            int i = Math.floorMod(next.getAndIncrement(), nodes);
            if (!tried[i] && healthy(i)) {
                return i;
            }
        }
        return -1;
    }

    private Future<MeshClient.Reply> attempt(
            int node,
            Call call,
            long timeoutMs,
            AtomicReference<GrpcClientRequest<ModelInferRequest, ModelInferResponse>> handle) {
        return grpc.request(address.apply(node), GRPCInferenceServiceGrpcClient.ModelInfer)
                .compose(req -> {
                    handle.set(req);
                    req.headers().set("authorization", "Bearer " + call.tenantKey());
                    req.timeout(timeoutMs, TimeUnit.MILLISECONDS);
                    req.end(call.request());
                    return req.response();
                })
                .compose(resp -> resp.last()
                        .transform(ar -> Future.succeededFuture(
                                ar.succeeded()
                                        ? new MeshClient.Reply("OK", "", ar.result())
                                        : new MeshClient.Reply(
                                                resp.status() == null || resp.status() == GrpcStatus.OK
                                                        ? "BROKEN_STREAM"
                                                        : resp.status().name(),
                                                String.valueOf(resp.statusMessage()),
                                                null))))
                .recover(t -> Future.succeededFuture(
                        new MeshClient.Reply("CONNECT_FAILED", String.valueOf(t.getMessage()), null)));
    }

    private static void cancel(AtomicReference<GrpcClientRequest<ModelInferRequest, ModelInferResponse>> handle) {
        GrpcClientRequest<ModelInferRequest, ModelInferResponse> r = handle.get();
        if (r != null) {
            try {
                r.cancel();
            } catch (RuntimeException e) {
                // Already ended.
            }
        }
    }

    private void probeLoop() {
        int[] misses = new int[nodes];
        while (running.get()) {
            List<CompletableFuture<Boolean>> probes = new ArrayList<>();
            for (int i = 0; i < nodes; i++) {
                probes.add(grpc.request(address.apply(i), GRPCInferenceServiceGrpcClient.ServerLive)
                        .compose(req -> {
                            req.timeout(750, TimeUnit.MILLISECONDS);
                            req.end(ServerLiveRequest.getDefaultInstance());
                            return req.response();
                        })
                        .compose(resp -> resp.last())
                        .map(r -> r.getLive())
                        .toCompletionStage()
                        .toCompletableFuture());
            }
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(750);
            for (int i = 0; i < nodes; i++) {
                boolean ok;
                try {
                    ok = probes.get(i).get(Math.max(1, until - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (Exception e) {
                    ok = false;
                }
                // Two misses in a row take a node out of rotation (one may be this JVM's own pause).
                misses[i] = ok ? 0 : misses[i] + 1;
                healthy.set(i, misses[i] < 2 ? 1 : 0);
            }
            sleep(250);
        }
    }

    /** Stops sending; waits for the calls in flight to end. */
    void stop() {
        running.set(false);
        for (Thread t : threads) {
            try {
                t.join(15_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        stop();
        try {
            grpc.close()
                    .compose(v -> vertx.close())
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // Best effort at the end of a run.
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
