package dev.modelmux.node.catalog;

import dev.modelmux.repo.ModelEntry;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * Merges a fresh scan of one model into what the node knew of it: which config serves, which
 * failures still hold, which versions passed, which dropped versions keep serving. Pure: the
 * versions resident on this node and their signature mismatches are passed in.
 */
final class RecordMerge {
    private RecordMerge() {}

    /**
     * The record after {@code entry}.
     *
     * @param old the record before; null for a model seen for the first time
     * @param resident versions of the model with a copy on this node (loading or ready)
     * @param mismatches how the new config disagrees with the resident copies' signatures; asked
     *     only when a copy is resident and the config changed
     */
    static ModelRecord merge(ModelRecord old, ModelEntry entry, Set<Long> resident, Supplier<List<String>> mismatches) {
        if (old == null) {
            return ModelRecord.first(entry);
        }
        ModelEntry serving = entry;
        Optional<String> problem = entry.configError();
        if (entry.configError().isPresent() && old.serving().configError().isEmpty()) {
            // A broken config.pbtxt: keep serving with the last good one.
            serving = old.serving();
        } else if (!resident.isEmpty() && !sameConfig(old.serving(), entry)) {
            List<String> found = entry.config().isEmpty() ? List.of() : mismatches.get();
            if (!found.isEmpty()) {
                serving = old.serving();
                problem = Optional.of("new config.pbtxt does not match the loaded model: " + String.join("; ", found));
            }
        }
        // Failures stay only while the failing file is unchanged.
        Map<Long, ModelRecord.Failure> failures = new HashMap<>();
        boolean configSame = sameConfig(old.serving(), serving);
        old.failures()
                .forEach((v, f) -> entry.version(v).ifPresent(ve -> {
                    if (ve.sizeBytes() == f.sizeBytes()
                            && ve.lastModifiedMillis() == f.lastModifiedMillis()
                            && configSame) {
                        failures.put(v, f);
                    }
                }));
        TreeSet<Long> passed = new TreeSet<>(old.passed());
        passed.removeIf(v -> entry.version(v).isEmpty() && !resident.contains(v));
        // Versions dropped by the policy keep serving until a newly selected one has passed.
        TreeSet<Long> retained = new TreeSet<>();
        boolean selectedPassed = serving.servedVersions().stream().anyMatch(passed::contains);
        if (!selectedPassed) {
            for (long v : old.served()) {
                boolean loadable = entry.version(v).isPresent() || resident.contains(v);
                if (!serving.servedVersions().contains(v)
                        && loadable
                        && !failures.containsKey(v)
                        && (passed.contains(v) || resident.contains(v))) {
                    retained.add(v);
                }
            }
        }
        Map<Long, String> sha = new HashMap<>(old.sha256());
        sha.keySet().removeIf(v -> entry.version(v).isEmpty());
        return new ModelRecord(entry.name(), entry, serving, problem, failures, retained, passed, sha);
    }

    /** The record with its failures forgotten: an explicit load tries every version again. */
    static ModelRecord withoutFailures(ModelRecord r) {
        return new ModelRecord(
                r.name(), r.scanned(), r.serving(), r.configProblem(), Map.of(), r.retained(), r.passed(), r.sha256());
    }

    static boolean sameConfig(ModelEntry a, ModelEntry b) {
        return a.config().equals(b.config()) && a.configError().equals(b.configError());
    }
}
