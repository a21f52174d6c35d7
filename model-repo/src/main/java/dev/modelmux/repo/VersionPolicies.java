package dev.modelmux.repo;

import dev.modelmux.repo.config.ModelVersionPolicy;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** Which of a model's versions a Triton version policy serves. */
public final class VersionPolicies {
    private VersionPolicies() {}

    /**
     * The versions {@code policy} selects from {@code available}, ascending: latest N (the default,
     * N = 1 when unset or 0), all, or the specific versions that exist.
     */
    public static List<Long> select(ModelVersionPolicy policy, List<Long> available) {
        TreeSet<Long> versions = new TreeSet<>(available);
        return switch (policy.getPolicyChoiceCase()) {
            case ALL -> List.copyOf(versions);
            case SPECIFIC -> {
                Set<Long> wanted = new TreeSet<>(policy.getSpecific().getVersionsList());
                wanted.retainAll(versions);
                yield List.copyOf(wanted);
            }
            case LATEST, POLICYCHOICE_NOT_SET -> {
                long n = policy.hasLatest()
                        ? Math.max(1, Integer.toUnsignedLong(policy.getLatest().getNumVersions()))
                        : 1;
                yield versions.descendingSet().stream().limit(n).sorted().toList();
            }
        };
    }
}
