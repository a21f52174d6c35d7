package dev.modelmux.repo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.repo.config.ModelVersionPolicy;
import java.util.List;
import org.junit.jupiter.api.Test;

class VersionPoliciesTest {
    private static final List<Long> AVAILABLE = List.of(3L, 1L, 10L, 2L);

    @Test
    void defaultIsTheLatestOne() {
        assertThat(VersionPolicies.select(ModelVersionPolicy.getDefaultInstance(), AVAILABLE))
                .containsExactly(10L);
    }

    @Test
    void latestNIsTheHighestNAscending() {
        assertThat(VersionPolicies.select(latest(2), AVAILABLE)).containsExactly(3L, 10L);
        assertThat(VersionPolicies.select(latest(10), AVAILABLE)).containsExactly(1L, 2L, 3L, 10L);
        assertThat(VersionPolicies.select(latest(0), AVAILABLE)).containsExactly(10L);
        assertThat(VersionPolicies.select(latest(-1), AVAILABLE)).containsExactly(1L, 2L, 3L, 10L); // uint32 max
    }

    @Test
    void allIsEverythingAscending() {
        ModelVersionPolicy all = ModelVersionPolicy.newBuilder()
                .setAll(ModelVersionPolicy.All.getDefaultInstance())
                .build();
        assertThat(VersionPolicies.select(all, AVAILABLE)).containsExactly(1L, 2L, 3L, 10L);
    }

    @Test
    void specificIsTheIntersection() {
        ModelVersionPolicy specific = ModelVersionPolicy.newBuilder()
                .setSpecific(ModelVersionPolicy.Specific.newBuilder()
                        .addVersions(10)
                        .addVersions(4)
                        .addVersions(1))
                .build();
        assertThat(VersionPolicies.select(specific, AVAILABLE)).containsExactly(1L, 10L);
    }

    @Test
    void nothingAvailableSelectsNothing() {
        assertThat(VersionPolicies.select(latest(1), List.of())).isEmpty();
    }

    @Test
    void duplicatesCountOnce() {
        assertThat(VersionPolicies.select(latest(2), List.of(5L, 5L, 4L))).containsExactly(4L, 5L);
    }

    private static ModelVersionPolicy latest(int n) {
        return ModelVersionPolicy.newBuilder()
                .setLatest(ModelVersionPolicy.Latest.newBuilder().setNumVersions(n))
                .build();
    }
}
