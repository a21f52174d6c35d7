package dev.modelmux.bench;

import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import dev.modelmux.node.oip.ModelInferRequest;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.common.GrpcStatus;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * The Java client of {@code bench/latency}, run as its own JVM (not the node's, not the bench's): a
 * Vert.x gRPC client that reads one command per line on stdin and answers each with one
 * {@link RunResult} JSON line on stdout. The grpc-js client ({@code bench/js/latency-client.js})
 * speaks the same protocol.
 *
 * <p>A command: {@code {"target":"127.0.0.1:port","request":"/path/model.bin","mode":"closed"|"open",
 * "n":200,"seconds":5,"inflight":1,"rate":15,"key":"...","keep":true}}. {@code closed}: {@code inflight}
 * calls at a time, each sent when one returns, until {@code n} calls were sent (or {@code seconds}
 * passed when {@code n} is 0). {@code open}: one call due every 1/{@code rate} s for {@code seconds},
 * sent when due whatever is outstanding (at most 512 at a time; more count as CLIENT_OVERLOAD), its
 * latency counted from when it was due. {@code key}: sent as {@code authorization: Bearer key}.
 * {@code deadline_ms}: each call's gRPC deadline (default 10000; 0 sends none).
 * {@code keep: false}: counts only, no latencies (a flooder). {@code "quit"} ends the process.
 */
public final class LoadClient {
    private static final long DEADLINE_MS = 10_000;
    private static final int OPEN_LOOP_CAP = 512;

    private final Vertx vertx = Vertx.vertx();
    private final GrpcClient grpc = GrpcClient.client(vertx, new GrpcClientOptions().setMaxMessageSize(64L << 20));
    private final Map<String, ModelInferRequest> requests = new HashMap<>();
    private volatile long deadlineMs = DEADLINE_MS;

    private LoadClient() {}

    public static void main(String[] args) throws Exception {
        // Only result lines go to stdout: anything else the libraries print goes to stderr.
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, "UTF-8");
        System.setOut(System.err);
        LoadClient client = new LoadClient();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null && !line.trim().equals("quit")) {
            if (line.isBlank()) {
                continue;
            }
            String answer;
            try {
                answer = client.run(new JsonObject(line)).encode();
            } catch (Exception e) {
                answer = new JsonObject().put("failure", String.valueOf(e)).encode();
            }
            out.println(answer);
        }
        client.grpc
                .close()
                .compose(v -> client.vertx.close())
                .toCompletionStage()
                .toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
    }

    private JsonObject run(JsonObject cmd) throws Exception {
        String[] hostPort = cmd.getString("target").split(":");
        SocketAddress address = SocketAddress.inetSocketAddress(Integer.parseInt(hostPort[1]), hostPort[0]);
        String file = cmd.getString("request");
        ModelInferRequest req = requests.get(file);
        if (req == null) {
            req = ModelInferRequest.parseFrom(Files.readAllBytes(Path.of(file)));
            requests.put(file, req);
        }
        Recorder rec = new Recorder(cmd.getBoolean("keep", true));
        String key = cmd.getString("key");
        // One command runs at a time: the call deadline is this run's.
        deadlineMs = cmd.getLong("deadline_ms", DEADLINE_MS);
        ModelInferRequest request = req;
        long start = System.nanoTime();
        if ("open".equals(cmd.getString("mode"))) {
            openLoop(address, request, key, cmd.getDouble("rate"), cmd.getDouble("seconds"), rec);
        } else {
            closedLoop(
                    address,
                    request,
                    key,
                    cmd.getInteger("n", 0),
                    cmd.getDouble("seconds", 0.0),
                    cmd.getInteger("inflight", 1),
                    rec);
        }
        return rec.toJson((System.nanoTime() - start) / 1e9);
    }

    private void closedLoop(
            SocketAddress address, ModelInferRequest req, String key, int n, double seconds, int inFlight, Recorder rec)
            throws Exception {
        long end = n > 0 ? Long.MAX_VALUE : System.nanoTime() + (long) (seconds * 1e9);
        AtomicInteger left = new AtomicInteger(n > 0 ? n : Integer.MAX_VALUE);
        AtomicInteger running = new AtomicInteger(inFlight);
        CompletableFuture<Void> done = new CompletableFuture<>();
        for (int i = 0; i < inFlight; i++) {
            next(address, req, key, left, end, rec, running, done);
        }
        done.get(n > 0 ? n * DEADLINE_MS + 60_000 : (long) (seconds * 1000) + 2 * DEADLINE_MS, TimeUnit.MILLISECONDS);
    }

    private void next(
            SocketAddress address,
            ModelInferRequest req,
            String key,
            AtomicInteger left,
            long end,
            Recorder rec,
            AtomicInteger running,
            CompletableFuture<Void> done) {
        if (left.getAndDecrement() <= 0 || System.nanoTime() >= end) {
            if (running.decrementAndGet() == 0) {
                done.complete(null);
            }
            return;
        }
        long t = System.nanoTime();
        call(address, req, key).onComplete(ar -> {
            rec.record(ar.result(), System.nanoTime() - t);
            next(address, req, key, left, end, rec, running, done);
        });
    }

    private void openLoop(
            SocketAddress address, ModelInferRequest req, String key, double rate, double seconds, Recorder rec)
            throws Exception {
        long period = (long) (1e9 / rate);
        long t0 = System.nanoTime();
        long count = (long) (seconds * rate);
        AtomicInteger outstanding = new AtomicInteger();
        for (long i = 0; i < count; i++) {
            long due = t0 + i * period;
            long wait;
            while ((wait = due - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
            if (outstanding.get() >= OPEN_LOOP_CAP) {
                rec.record("CLIENT_OVERLOAD", 0);
                continue;
            }
            outstanding.incrementAndGet();
            call(address, req, key).onComplete(ar -> {
                rec.record(ar.result(), System.nanoTime() - due);
                outstanding.decrementAndGet();
            });
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DEADLINE_MS + 2_000);
        while (outstanding.get() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
    }

    /** One ModelInfer call; completes with "OK" or the gRPC status name, never fails. */
    private Future<String> call(SocketAddress address, ModelInferRequest req, String key) {
        return grpc.request(address, GRPCInferenceServiceGrpcClient.ModelInfer)
                .compose(call -> {
                    if (key != null) {
                        call.headers().set("authorization", "Bearer " + key);
                    }
                    if (deadlineMs > 0) {
                        call.timeout(deadlineMs, TimeUnit.MILLISECONDS);
                    }
                    call.end(req);
                    return call.response();
                })
                .compose(resp -> resp.last()
                        .transform(ar -> Future.succeededFuture(
                                ar.succeeded()
                                        ? "OK"
                                        : resp.status() == null || resp.status() == GrpcStatus.OK
                                                ? "BROKEN_STREAM"
                                                : resp.status().name())))
                .recover(t -> Future.succeededFuture("CONNECT_FAILED"));
    }

    /** Latencies of the successful calls and counts of the others, from any thread. */
    private static final class Recorder {
        private final boolean keep;
        private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
        private final LongAdder ok = new LongAdder();
        private long[] nanos = new long[1024];
        private int size;

        Recorder(boolean keep) {
            this.keep = keep;
        }

        void record(String status, long latencyNanos) {
            if (!"OK".equals(status)) {
                errors.computeIfAbsent(status, s -> new LongAdder()).increment();
                return;
            }
            ok.increment();
            if (keep) {
                synchronized (this) {
                    if (size == nanos.length) {
                        nanos = Arrays.copyOf(nanos, size * 2);
                    }
                    nanos[size++] = latencyNanos;
                }
            }
        }

        synchronized JsonObject toJson(double elapsedS) {
            JsonArray lat = new JsonArray();
            for (int i = 0; i < size; i++) {
                lat.add(Math.round(nanos[i] / 100.0) / 10.0);
            }
            JsonObject errs = new JsonObject();
            errors.forEach((k, v) -> errs.put(k, v.sum()));
            return new JsonObject()
                    .put("latencies_us", lat)
                    .put("ok", ok.sum())
                    .put("errors", errs)
                    .put("elapsed_s", elapsedS);
        }
    }
}
