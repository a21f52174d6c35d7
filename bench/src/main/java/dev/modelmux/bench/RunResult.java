package dev.modelmux.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one client run reported: the latency of every successful call in microseconds (for an open
 * loop, from the moment the call was due, so a stalled server is not hidden), the failed calls by
 * gRPC status name, and how long the run took. Both clients (the Java {@link LoadClient} and
 * {@code bench/js/latency-client.js}) print it as one JSON line:
 * {@code {"latencies_us":[...],"ok":200,"errors":{"RESOURCE_EXHAUSTED":12},"elapsed_s":1.5}} ({@code ok}
 * counts the successful calls, also when a flooder keeps no latencies).
 */
record RunResult(double[] latenciesUs, long okCount, Map<String, Long> errors, double elapsedS) {
    static final RunResult EMPTY = new RunResult(new double[0], 0, Map.of(), 0);

    /** Parses a client's result line; fails with the line when it is not one. */
    static RunResult parse(String line) {
        JsonObject o;
        try {
            o = new JsonObject(line);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a client result: " + line, e);
        }
        if (o.containsKey("failure")) {
            throw new IllegalStateException("the client failed: " + o.getString("failure"));
        }
        JsonArray a = o.getJsonArray("latencies_us", new JsonArray());
        double[] lat = new double[a.size()];
        for (int i = 0; i < lat.length; i++) {
            lat[i] = ((Number) a.getValue(i)).doubleValue();
        }
        Map<String, Long> errors = new TreeMap<>();
        JsonObject e = o.getJsonObject("errors", new JsonObject());
        for (String k : e.fieldNames()) {
            errors.put(k, ((Number) e.getValue(k)).longValue());
        }
        return new RunResult(lat, o.getLong("ok", (long) lat.length), errors, o.getDouble("elapsed_s", 0.0));
    }

    /** Successful calls. */
    long ok() {
        return okCount;
    }

    long errorCount() {
        return errors.values().stream().mapToLong(Long::longValue).sum();
    }

    long errors(String status) {
        return errors.getOrDefault(status, 0L);
    }

    /** Successful calls per second of the run. */
    double throughput() {
        return elapsedS <= 0 ? 0 : ok() / elapsedS;
    }

    /** This run and {@code other} as one sample (latencies pooled, errors and times added). */
    RunResult plus(RunResult other) {
        double[] lat = Arrays.copyOf(latenciesUs, latenciesUs.length + other.latenciesUs.length);
        System.arraycopy(other.latenciesUs, 0, lat, latenciesUs.length, other.latenciesUs.length);
        Map<String, Long> errs = new TreeMap<>(errors);
        other.errors.forEach((k, v) -> errs.merge(k, v, Long::sum));
        return new RunResult(lat, okCount + other.okCount, errs, elapsedS + other.elapsedS);
    }

    /** The {@code q}-th percentile (0 < q ≤ 100) by nearest rank; NaN for no samples. */
    double percentile(double q) {
        return percentile(latenciesUs, q);
    }

    double mean() {
        return latenciesUs.length == 0 ? Double.NaN : Arrays.stream(latenciesUs).sum() / latenciesUs.length;
    }

    /** Nearest-rank percentile: the smallest sample with at least q% of the samples at or below it. */
    static double percentile(double[] samples, double q) {
        if (samples.length == 0) {
            return Double.NaN;
        }
        if (!(q > 0 && q <= 100)) {
            throw new IllegalArgumentException("percentile must be in (0, 100], was " + q);
        }
        double[] s = samples.clone();
        Arrays.sort(s);
        int rank = (int) Math.ceil(q / 100.0 * s.length);
        return s[Math.max(0, Math.min(s.length, rank) - 1)];
    }
}
