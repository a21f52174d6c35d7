package dev.modelmux.node.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.repo.ModelEntry;
import dev.modelmux.repo.ModelEntry.VersionEntry;
import dev.modelmux.repo.config.ModelConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** The merge of a scan into a model's record, without a pool: residency and mismatches are given. */
class RecordMergeTest {
    private static final ModelConfig GOOD =
            ModelConfig.newBuilder().setName("m").setMaxBatchSize(8).build();
    private static final ModelConfig OTHER =
            ModelConfig.newBuilder().setName("m").setMaxBatchSize(4).build();
    private static final Supplier<List<String>> NO_MISMATCH = List::of;

    @Test
    void aModelSeenForTheFirstTimeServesWhatItsPolicySelects() {
        ModelEntry e = entry(Optional.of(GOOD), List.of(1L, 2L), 2L);

        ModelRecord r = RecordMerge.merge(null, e, Set.of(), NO_MISMATCH);

        assertThat(r.served()).containsExactly(2L);
        assertThat(r.top()).contains(2L);
        assertThat(r.serving()).isSameAs(e);
        assertThat(r.configProblem()).isEmpty();
    }

    @Test
    void aBrokenConfigKeepsTheLastGoodOneServingAndSaysWhy() {
        ModelRecord before = ModelRecord.first(entry(Optional.of(GOOD), List.of(1L), 1L));
        ModelEntry broken = new ModelEntry(
                "m", Optional.empty(), Optional.of("m/config.pbtxt line 2: bad"), versions(1L), List.of(1L), "f2");

        ModelRecord after = RecordMerge.merge(before, broken, Set.of(1L), NO_MISMATCH);

        assertThat(after.serving()).isSameAs(before.serving());
        assertThat(after.config()).contains(GOOD);
        assertThat(after.scanned()).isSameAs(broken);
        assertThat(after.configProblem()).contains("m/config.pbtxt line 2: bad");
    }

    @Test
    void aConfigThatDisagreesWithTheLoadedCopyKeepsThePreviousOneAndAsksOnlyWhenItMust() {
        ModelRecord before = ModelRecord.first(entry(Optional.of(GOOD), List.of(1L), 1L));
        AtomicInteger asked = new AtomicInteger();
        Supplier<List<String>> mismatch = () -> {
            asked.incrementAndGet();
            return List.of("input 'input' dims [8] but the model has [16]");
        };

        ModelRecord nothingLoaded =
                RecordMerge.merge(before, entry(Optional.of(OTHER), List.of(1L), 1L), Set.of(), mismatch);
        assertThat(asked).hasValue(0);
        assertThat(nothingLoaded.config()).contains(OTHER);

        ModelRecord sameConfig =
                RecordMerge.merge(before, entry(Optional.of(GOOD), List.of(1L), 1L), Set.of(1L), mismatch);
        assertThat(asked).hasValue(0);
        assertThat(sameConfig.configProblem()).isEmpty();

        ModelRecord loaded =
                RecordMerge.merge(before, entry(Optional.of(OTHER), List.of(1L), 1L), Set.of(1L), mismatch);
        assertThat(asked).hasValue(1);
        assertThat(loaded.config()).contains(GOOD);
        assertThat(loaded.configProblem())
                .contains(
                        "new config.pbtxt does not match the loaded model: input 'input' dims [8] but the model has [16]");
    }

    @Test
    void aFailureStaysWhileItsFileAndTheConfigAreUnchanged() {
        ModelRecord failed = ModelRecord.first(entry(Optional.of(GOOD), List.of(1L), 1L))
                .withFailure(1, new ModelRecord.Failure("bad graph", 100, 1_000, true));

        ModelRecord same = RecordMerge.merge(failed, entry(Optional.of(GOOD), List.of(1L), 1L), Set.of(), NO_MISMATCH);
        assertThat(same.failures()).containsOnlyKeys(1L);
        assertThat(same.top()).isEmpty();

        ModelEntry touched = new ModelEntry(
                "m",
                Optional.of(GOOD),
                Optional.empty(),
                List.of(new VersionEntry(1, "model.onnx", 100, 3_000)),
                List.of(1L),
                "f3");
        assertThat(RecordMerge.merge(failed, touched, Set.of(), NO_MISMATCH).failures())
                .isEmpty();
        ModelEntry resized = new ModelEntry(
                "m",
                Optional.of(GOOD),
                Optional.empty(),
                List.of(new VersionEntry(1, "model.onnx", 101, 1_000)),
                List.of(1L),
                "f4");
        assertThat(RecordMerge.merge(failed, resized, Set.of(), NO_MISMATCH).failures())
                .isEmpty();
        assertThat(RecordMerge.merge(failed, entry(Optional.of(OTHER), List.of(1L), 1L), Set.of(), NO_MISMATCH)
                        .failures())
                .as("a changed config is a new chance")
                .isEmpty();
    }

    @Test
    void aVersionDroppedByThePolicyKeepsServingUntilANewlySelectedOnePasses() {
        ModelRecord v1Passed =
                ModelRecord.first(entry(Optional.of(GOOD), List.of(1L), 1L)).withPassed(1, "sha-1");

        ModelRecord v2Appeared =
                RecordMerge.merge(v1Passed, entry(Optional.of(GOOD), List.of(1L, 2L), 2L), Set.of(1L), NO_MISMATCH);
        assertThat(v2Appeared.retained()).containsExactly(1L);
        assertThat(v2Appeared.served()).containsExactly(1L, 2L);
        assertThat(v2Appeared.top()).contains(2L);

        ModelRecord v2Passed = v2Appeared.withPassed(2, "sha-2");
        assertThat(v2Passed.retained()).isEmpty();
        assertThat(v2Passed.served()).containsExactly(2L);
        assertThat(v2Passed.sha256()).containsEntry(1L, "sha-1").containsEntry(2L, "sha-2");

        ModelRecord rescanned =
                RecordMerge.merge(v2Passed, entry(Optional.of(GOOD), List.of(1L, 2L), 2L), Set.of(2L), NO_MISMATCH);
        assertThat(rescanned.retained()).isEmpty();
    }

    @Test
    void aDroppedVersionThatNeverPassedAndIsNotLoadedIsNotRetained() {
        ModelRecord v1Seen = ModelRecord.first(entry(Optional.of(GOOD), List.of(1L), 1L));

        ModelRecord v2Appeared =
                RecordMerge.merge(v1Seen, entry(Optional.of(GOOD), List.of(1L, 2L), 2L), Set.of(), NO_MISMATCH);

        assertThat(v2Appeared.retained()).isEmpty();
        assertThat(v2Appeared.served()).containsExactly(2L);
        ModelRecord v1Loading =
                RecordMerge.merge(v1Seen, entry(Optional.of(GOOD), List.of(1L, 2L), 2L), Set.of(1L), NO_MISMATCH);
        assertThat(v1Loading.retained()).as("resident counts as serving").containsExactly(1L);
    }

    @Test
    void versionsGoneFromTheRepositoryLoseTheirHashAndTheirPassUnlessStillLoaded() {
        ModelRecord both = ModelRecord.first(entry(Optional.of(GOOD), List.of(1L, 2L), 1L, 2L))
                .withPassed(1, "sha-1")
                .withPassed(2, "sha-2");

        ModelRecord v1Gone =
                RecordMerge.merge(both, entry(Optional.of(GOOD), List.of(2L), 2L), Set.of(1L), NO_MISMATCH);
        assertThat(v1Gone.passed()).containsExactly(1L, 2L);
        assertThat(v1Gone.sha256()).containsOnlyKeys(2L);

        ModelRecord v1Unloaded =
                RecordMerge.merge(both, entry(Optional.of(GOOD), List.of(2L), 2L), Set.of(), NO_MISMATCH);
        assertThat(v1Unloaded.passed()).containsExactly(2L);
    }

    @Test
    void anExplicitLoadForgetsFailuresAndNothingElse() {
        ModelRecord r = ModelRecord.first(entry(Optional.of(GOOD), List.of(1L, 2L), 2L))
                .withPassed(1, "sha-1")
                .withFailure(2, new ModelRecord.Failure("bad", 1, 1, true));

        ModelRecord cleared = RecordMerge.withoutFailures(r);

        assertThat(cleared.failures()).isEmpty();
        assertThat(cleared.passed()).isEqualTo(r.passed());
        assertThat(cleared.sha256()).isEqualTo(r.sha256());
        assertThat(cleared.serving()).isSameAs(r.serving());
        assertThat(cleared.top()).contains(2L);
    }

    private static ModelEntry entry(Optional<ModelConfig> config, List<Long> present, Long... selected) {
        List<VersionEntry> versions = new ArrayList<>();
        present.forEach(v -> versions.add(new VersionEntry(v, "model.onnx", 100, 1_000)));
        return new ModelEntry(
                "m",
                config,
                Optional.empty(),
                versions,
                new ArrayList<>(new TreeSet<>(Arrays.asList(selected))),
                "f" + present + selected.length);
    }

    private static List<VersionEntry> versions(long... vs) {
        List<VersionEntry> out = new ArrayList<>();
        for (long v : vs) {
            out.add(new VersionEntry(v, "model.onnx", 100, 1_000));
        }
        return out;
    }
}
