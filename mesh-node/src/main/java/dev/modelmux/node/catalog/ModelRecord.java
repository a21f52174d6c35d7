package dev.modelmux.node.catalog;

import dev.modelmux.repo.ModelEntry;
import dev.modelmux.repo.config.ModelConfig;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.TreeSet;

/**
 * What the node knows of one model, replaced whole on every change (so readers never see a
 * half-applied update).
 *
 * @param scanned the latest scan of the repository
 * @param serving the scan whose config requests are served with: the latest one, unless its
 *     config is broken or incompatible with the versions serving now, in which case the previous
 *     one keeps serving (and {@code configProblem} says why)
 * @param failures versions that failed their gate, with the reason and the file fingerprint that
 *     failed (a changed file clears the failure)
 * @param retained versions no longer selected by the version policy that keep serving until a
 *     selected version has passed its gate
 * @param passed versions that passed their gate at least once (for their current fingerprint)
 */
public record ModelRecord(
        String name,
        ModelEntry scanned,
        ModelEntry serving,
        Optional<String> configProblem,
        Map<Long, Failure> failures,
        NavigableSet<Long> retained,
        NavigableSet<Long> passed,
        Map<Long, String> sha256) {

    public ModelRecord {
        failures = Map.copyOf(failures);
        retained = Collections.unmodifiableNavigableSet(new TreeSet<>(retained));
        passed = Collections.unmodifiableNavigableSet(new TreeSet<>(passed));
        sha256 = Map.copyOf(sha256);
    }

    static ModelRecord first(ModelEntry entry) {
        return new ModelRecord(
                entry.name(), entry, entry, entry.configError(), Map.of(), new TreeSet<>(), new TreeSet<>(), Map.of());
    }

    Optional<ModelConfig> config() {
        return serving.config();
    }

    /** Versions that take traffic: selected by the policy, plus retained ones. */
    NavigableSet<Long> served() {
        TreeSet<Long> s = new TreeSet<>(serving.servedVersions());
        s.addAll(retained);
        return s;
    }

    /**
     * The selected version an unversioned request should use: the highest that has not failed for good
     * (a version whose artifact could not be read is still the one to use: it is tried again, and meanwhile
     * served by a peer that holds it).
     */
    public Optional<Long> top() {
        return serving.servedVersions().stream().filter(v -> !failedForGood(v)).max(Long::compare);
    }

    /** Whether the version failed its gate for a reason that holds until its file changes. */
    boolean failedForGood(long version) {
        Failure f = failures.get(version);
        return f != null && f.permanent();
    }

    ModelRecord withFailure(long version, Failure f) {
        Map<Long, Failure> m = new HashMap<>(failures);
        m.put(version, f);
        TreeSet<Long> p = new TreeSet<>(passed);
        p.remove(version);
        return new ModelRecord(name, scanned, serving, configProblem, m, retained, p, sha256);
    }

    ModelRecord withPassed(long version, String sha) {
        Map<Long, Failure> m = new HashMap<>(failures);
        m.remove(version);
        TreeSet<Long> p = new TreeSet<>(passed);
        p.add(version);
        Map<Long, String> h = new HashMap<>(sha256);
        h.put(version, sha);
        // A selected version passed: the retained fallbacks are no longer needed.
        boolean selected = serving.servedVersions().contains(version);
        return new ModelRecord(name, scanned, serving, configProblem, m, selected ? new TreeSet<>() : retained, p, h);
    }

    /** The record with the failures that may pass on their own forgotten. */
    ModelRecord withoutTransientFailures() {
        Map<Long, Failure> m = new HashMap<>(failures);
        m.values().removeIf(f -> !f.permanent());
        return new ModelRecord(name, scanned, serving, configProblem, m, retained, passed, sha256);
    }

    /**
     * A gate failure, tied to the file that failed.
     *
     * @param permanent a verdict on the model (rejected artifact, bad config, runtime error) that holds
     *     until its file changes; otherwise the artifact could not be read and the load is tried again
     *     after {@code retryAtNanos}
     * @param attempts loads that failed in a row (transient failures)
     * @param retryAtNanos when a transient failure may be tried again (monotonic clock)
     */
    record Failure(
            String reason,
            long sizeBytes,
            long lastModifiedMillis,
            boolean permanent,
            int attempts,
            long retryAtNanos) {
        /** A permanent failure. */
        Failure(String reason, long sizeBytes, long lastModifiedMillis, boolean permanent) {
            this(reason, sizeBytes, lastModifiedMillis, permanent, 1, 0);
        }
    }
}
