package dev.modelmux.cluster.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.cluster.CatalogEntry;
import dev.modelmux.cluster.Copy;
import dev.modelmux.cluster.Copy.State;
import dev.modelmux.cluster.internal.CopyLists.Outcome;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The placement rules as pure functions: no Hazelcast, time passed in. */
class CopyListsTest {

    private static final long T0 = 1_000_000;

    private static Outcome run(CopyOp.Kind kind, List<Copy> copies, String node, String device) {
        return CopyOp.of(kind, node, device, T0 + 10).apply(copies);
    }

    private static List<Copy> claimed(String node, String device) {
        return CopyOp.of(CopyOp.Kind.CLAIM, node, device, T0)
                .withBytes(100)
                .apply(List.of())
                .copies();
    }

    @Test
    void claimWinsOnAnEmptyDeviceAndRecordsALoadingCopy() {
        Outcome o = CopyOp.of(CopyOp.Kind.CLAIM, "a", "gpu0", T0)
                .withBytes(5L << 32)
                .apply(List.of());

        assertThat(o.applied()).isTrue();
        assertThat(o.copies()).containsExactly(new Copy("a", "gpu0", State.LOADING, "", 5L << 32, T0, 0, T0, 1));
    }

    @Test
    void claimLosesWhileTheDeviceHasALoadingReadyOrUnloadingCopy() {
        List<Copy> loading = claimed("a", "gpu0");
        List<Copy> ready = run(CopyOp.Kind.READY, loading, "a", "gpu0").copies();
        List<Copy> unloading = run(CopyOp.Kind.UNLOADING, ready, "a", "gpu0").copies();

        for (List<Copy> held : List.of(loading, ready, unloading)) {
            Outcome o = run(CopyOp.Kind.CLAIM, held, "a", "gpu0");
            assertThat(o.applied()).isFalse();
            assertThat(o.copies()).isSameAs(held);
        }
    }

    @Test
    void claimReplacesAFailedCopyAndKeepsCountingItsVersion() {
        List<Copy> failed = CopyOp.of(CopyOp.Kind.FAILED, "a", "gpu0", T0 + 1)
                .withReason("OOM")
                .apply(claimed("a", "gpu0"))
                .copies();
        assertThat(failed.get(0).state()).isEqualTo(State.FAILED);
        assertThat(failed.get(0).reason()).isEqualTo("OOM");

        Outcome again = run(CopyOp.Kind.CLAIM, failed, "a", "gpu0");

        assertThat(again.applied()).isTrue();
        assertThat(again.copies().get(0).state()).isEqualTo(State.LOADING);
        assertThat(again.copies().get(0).reason()).isEmpty();
        assertThat(again.copies().get(0).version()).isEqualTo(failed.get(0).version() + 1);
    }

    @Test
    void claimsOnOtherDevicesAreIndependentButClaimFirstNeedsNoLiveCopyAnywhere() {
        List<Copy> one = claimed("a", "gpu0");

        Outcome second = run(CopyOp.Kind.CLAIM, one, "b", "gpu0");
        assertThat(second.applied()).isTrue();
        assertThat(second.copies()).extracting(Copy::nodeId).containsExactly("a", "b");

        assertThat(run(CopyOp.Kind.CLAIM_FIRST, one, "b", "gpu0").applied()).isFalse();
        assertThat(run(CopyOp.Kind.CLAIM_FIRST, List.of(), "b", "gpu0").applied())
                .isTrue();
        List<Copy> failed = run(CopyOp.Kind.FAILED, one, "a", "gpu0").copies();
        assertThat(run(CopyOp.Kind.CLAIM_FIRST, failed, "b", "gpu0").applied()).isTrue();
    }

    @Test
    void transitionsAreGuardedByState() {
        List<Copy> loading = claimed("a", "gpu0");

        assertThat(run(CopyOp.Kind.UNLOADING, loading, "a", "gpu0").applied()).isFalse();
        assertThat(run(CopyOp.Kind.REMOVE, loading, "a", "gpu0").applied()).isFalse();
        Outcome ready =
                CopyOp.of(CopyOp.Kind.READY, "a", "gpu0", T0 + 5).withBytes(120).apply(loading);
        assertThat(ready.applied()).isTrue();
        assertThat(ready.copies().get(0))
                .extracting(Copy::state, Copy::bytes, Copy::stateSinceMillis, Copy::version)
                .containsExactly(State.READY, 120L, T0 + 5, 2L);

        assertThat(run(CopyOp.Kind.READY, ready.copies(), "a", "gpu0").applied())
                .isFalse();
        assertThat(run(CopyOp.Kind.REMOVE, ready.copies(), "a", "gpu0").applied())
                .isFalse();
        Outcome unloading = run(CopyOp.Kind.UNLOADING, ready.copies(), "a", "gpu0");
        assertThat(unloading.copies().get(0).bytes()).isEqualTo(120);
        Outcome removed = run(CopyOp.Kind.REMOVE, unloading.copies(), "a", "gpu0");
        assertThat(removed.applied()).isTrue();
        assertThat(removed.copies()).isEmpty();

        assertThat(run(CopyOp.Kind.READY, List.of(), "a", "gpu0").applied()).isFalse();
        assertThat(run(CopyOp.Kind.FAILED, List.of(), "a", "gpu0").applied()).isFalse();
        assertThat(run(CopyOp.Kind.TOUCH, List.of(), "a", "gpu0").applied()).isFalse();
    }

    @Test
    void touchMovesLastUseForwardOnlyAndCountsEveryUpdate() {
        List<Copy> copies = claimed("a", "gpu0");
        copies = CopyOp.of(CopyOp.Kind.TOUCH, "a", "gpu0", 0)
                .withUsage(T0 + 50, 2.5)
                .apply(copies)
                .copies();
        copies = CopyOp.of(CopyOp.Kind.TOUCH, "a", "gpu0", 0)
                .withUsage(T0 + 20, 4.0)
                .apply(copies)
                .copies();

        assertThat(copies.get(0).lastUsedMillis()).isEqualTo(T0 + 50);
        assertThat(copies.get(0).requestRate()).isEqualTo(4.0);
        assertThat(copies.get(0).version()).isEqualTo(3);
    }

    @Test
    void reassertReplacesOnlyTheReportingNodesCopies() {
        Copy bStale = new Copy("b", "gpu0", State.READY, "", 10, T0, 1, T0, 7);
        Copy bGone = new Copy("b", "gpu1", State.READY, "", 10, T0, 1, T0, 3);
        Copy aOther = new Copy("a", "gpu0", State.READY, "", 10, T0, 1, T0, 4);
        Copy bReported = Copy.ready("b", "gpu0", 12, T0 + 9, 3, T0 + 1);
        Copy bNew = Copy.ready("b", "gpu2", 30, T0, 0, T0);

        List<Copy> next = CopyLists.reassert(List.of(aOther, bStale, bGone), "b", List.of(bReported, bNew), T0 + 100);

        assertThat(next).containsExactly(aOther, bReported.withVersion(8), bNew.withVersion(1));
    }

    @Test
    void reassertLeavesAnUnchangedCopyAndSparesAClaimNewerThanTheReport() {
        Copy same = new Copy("b", "gpu0", State.READY, "", 10, T0, 1, T0, 7);
        Copy youngClaim = Copy.loading("b", "gpu1", 10, T0 + 200);
        Copy oldClaim = Copy.loading("b", "gpu2", 10, T0 + 50);

        List<Copy> next =
                CopyLists.reassert(List.of(same, youngClaim, oldClaim), "b", List.of(same.withVersion(0)), T0 + 100);

        assertThat(next).containsExactly(same, youngClaim);
        assertThat(next.get(0)).isSameAs(same);
    }

    @Test
    void unionKeepsBothSidesAndTheHigherVersionPerDevice() {
        Copy a1 = new Copy("a", "gpu0", State.READY, "", 10, T0, 1, T0, 5);
        Copy a1Newer = new Copy("a", "gpu0", State.UNLOADING, "", 10, T0, 1, T0, 6);
        Copy b = new Copy("b", "gpu0", State.READY, "", 10, T0, 1, T0, 1);
        Copy c = new Copy("c", "gpu0", State.LOADING, "", 10, T0, 0, T0, 1);

        assertThat(CopyLists.union(List.of(a1, b), List.of(a1Newer, c))).containsExactly(a1Newer, b, c);
        assertThat(CopyLists.union(List.of(a1Newer), List.of(a1))).containsExactly(a1Newer);
    }

    @Test
    void catalogKeepsPredictedAndMeasuredApart() {
        CatalogEntry e = new CatalogOp(CatalogOp.Kind.PREDICT, 100, 0).apply(null);
        assertThat(e.isMeasured()).isFalse();
        assertThat(e.footprintBytes()).isEqualTo(100);
        assertThat(e.meanLoadMillis()).isEqualTo(CatalogEntry.UNKNOWN);

        e = new CatalogOp(CatalogOp.Kind.MEASURE, 140, 30).apply(e);
        e = new CatalogOp(CatalogOp.Kind.MEASURE, 130, 50).apply(e);
        e = new CatalogOp(CatalogOp.Kind.PREDICT, 90, 0).apply(e);

        assertThat(e).isEqualTo(new CatalogEntry(90, 140, 80, 2));
        assertThat(e.footprintBytes()).isEqualTo(140);
        assertThat(e.meanLoadMillis()).isEqualTo(40);
    }

    @Test
    void measurementBeforeAnyPredictionLeavesThePredictionUnknown() {
        CatalogEntry e = new CatalogOp(CatalogOp.Kind.MEASURE, 3L << 33, 10).apply(null);

        assertThat(e.predictedBytes()).isEqualTo(CatalogEntry.UNKNOWN);
        assertThat(e.footprintBytes()).isEqualTo(3L << 33);
    }
}
