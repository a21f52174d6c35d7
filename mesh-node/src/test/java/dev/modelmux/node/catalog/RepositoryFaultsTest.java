package dev.modelmux.node.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The repository's fault state machine on a fake clock: what a failed or empty listing keeps, when a
 * failing read is tried again (capped exponential backoff with injected jitter), and that the log hears
 * of each state change once.
 */
class RepositoryFaultsTest {
    private static final long S = 1_000_000_000L;

    private final AtomicLong clock = new AtomicLong(1_000 * S);
    /** The jitter draw: 0.999... makes each delay (almost) its nominal value, 0 half of it. */
    private final AtomicReference<Double> draw = new AtomicReference<>(Math.nextDown(1.0));

    private final RepositoryFaults faults =
            new RepositoryFaults(clock::get, draw::get, Backoff.DEFAULT, Duration.ofSeconds(30));

    @Test
    void theBackoffDoublesFromOneSecondToSixtyAndTheJitterTakesUpToHalfOff() {
        Backoff b = Backoff.DEFAULT;
        double top = Math.nextDown(1.0);
        long[] nominal = {1, 2, 4, 8, 16, 32, 60, 60};
        for (int i = 0; i < nominal.length; i++) {
            assertThat(b.delayNanos(i + 1, top))
                    .as("failure %d", i + 1)
                    .isBetween(nominal[i] * S - 1000, nominal[i] * S);
            assertThat(b.delayNanos(i + 1, 0)).isEqualTo(nominal[i] * S / 2);
        }
        assertThat(b.delayNanos(Integer.MAX_VALUE, top)).isBetween(59 * S, 60 * S);
        assertThat(b.delayNanos(0, 0.5)).isEqualTo(750_000_000L);
    }

    @Test
    void aListingThatFailsKeepsEveryModelAndIsTriedAgainWithBackoff() {
        assertThat(faults.listingDue()).isTrue();
        assertThat(faults.listingFailed("could not read the repository root in the repository"))
                .hasValueSatisfying(n -> assertThat(n)
                        .startsWith("listing failed: could not read the repository root")
                        .contains("every model keeps its last good view"));
        assertThat(faults.listingFaulted()).isTrue();
        assertThat(faults.staleReason("m"))
                .contains("repository read failed: could not read the repository root in the repository;"
                        + " serving the last good version");
        // Not due again before its backoff: 1 s after the first failure.
        assertThat(faults.listingDue()).isFalse();
        assertThat(faults.nextRetryNanos().orElseThrow() - clock.get()).isBetween(S - 1000, S);
        clock.addAndGet(S);
        assertThat(faults.listingDue()).isTrue();

        // Failing on: no news (one log line per state change), the wait doubles.
        assertThat(faults.listingFailed("still")).isEmpty();
        assertThat(faults.listingFault()).hasValueSatisfying(f -> {
            assertThat(f.failures()).isEqualTo(2);
            assertThat(f.retryAtNanos() - clock.get()).isBetween(2 * S - 1000, 2 * S);
            assertThat(f.reason()).isEqualTo("still");
        });
        clock.addAndGet(2 * S);
        assertThat(faults.listingFailed("still")).isEmpty();
        assertThat(faults.listingFault().orElseThrow().retryAtNanos() - clock.get())
                .isBetween(4 * S - 1000, 4 * S);

        // It works again: news once, and the listing is the truth again (b is gone).
        clock.addAndGet(4 * S);
        RepositoryFaults.Verdict v = faults.listed(List.of("a"), Set.of("a", "b"));
        assertThat(v.news()).hasValueSatisfying(n -> assertThat(n).contains("works again after 3 failed tries"));
        assertThat(v.gone()).containsExactly("b");
        assertThat(v.scan()).isTrue();
        assertThat(faults.listingFaulted()).isFalse();
        assertThat(faults.staleReason("a")).isEmpty();
        assertThat(faults.nextRetryNanos()).isEmpty();
        assertThat(faults.listed(List.of("a"), Set.of("a")).news()).isEmpty();
    }

    @Test
    void anEmptyListingIsBelievedOnlyWhenListingsStayEmptyForTheGrace() {
        Set<String> known = Set.of("a", "b");
        long start = clock.get();
        RepositoryFaults.Verdict first = faults.listed(List.of(), known);
        assertThat(first.gone()).isEmpty();
        assertThat(first.scan()).isFalse();
        assertThat(first.news()).hasValueSatisfying(n -> assertThat(n).contains("lists no models while 2 are known"));
        assertThat(faults.staleReason("a"))
                .contains("repository lists no models (not yet confirmed); serving the last good version");
        assertThat(faults.listingDue()).isFalse();

        // Listed again soon (the retries back off, but never past the end of the grace): still kept.
        clock.addAndGet(S);
        RepositoryFaults.Verdict second = faults.listed(List.of(), known);
        assertThat(second.gone()).isEmpty();
        assertThat(second.news()).isEmpty();
        for (int i = 0; i < 10; i++) {
            long next = faults.nextRetryNanos().orElseThrow();
            assertThat(next - (start + 30 * S)).isLessThanOrEqualTo(0);
            clock.set(next);
            if (clock.get() - (start + 30 * S) >= 0) {
                break;
            }
            assertThat(faults.listed(List.of(), known).gone()).isEmpty();
        }
        // Thirty seconds of empty listings: believed.
        assertThat(clock.get()).isEqualTo(start + 30 * S);
        RepositoryFaults.Verdict confirmed = faults.listed(List.of(), known);
        assertThat(confirmed.gone()).containsExactlyInAnyOrder("a", "b");
        assertThat(confirmed.news()).hasValueSatisfying(n -> assertThat(n).contains("the 2 models it had are gone"));
        assertThat(faults.listingFaulted()).isFalse();
        assertThat(faults.nextRetryNanos()).isEmpty();
    }

    @Test
    void aListingThatFailsDuringAnEmptySpellConfirmsNothing() {
        Set<String> known = Set.of("a");
        faults.listed(List.of(), known);
        clock.addAndGet(60 * S);
        assertThat(faults.listingFailed("io")).isPresent();
        assertThat(faults.listingFaulted()).isTrue();
        clock.addAndGet(S);
        RepositoryFaults.Verdict back = faults.listed(List.of("a"), known);
        assertThat(back.gone()).isEmpty();
        assertThat(back.news())
                .hasValueSatisfying(n -> assertThat(n).contains("works again").contains("lists models again"));
        assertThat(faults.listingFaulted()).isFalse();
    }

    @Test
    void anEmptyListingThatEndsUnloadsNothingAndSaysSo() {
        Set<String> known = Set.of("a", "b");
        faults.listed(List.of(), known);
        clock.addAndGet(4 * S);
        assertThat(faults.listed(List.of(), known).gone()).isEmpty();
        RepositoryFaults.Verdict back = faults.listed(List.of("a", "b"), known);
        assertThat(back.gone()).isEmpty();
        assertThat(back.scan()).isTrue();
        assertThat(back.news())
                .hasValueSatisfying(
                        n -> assertThat(n).contains("lists models again").contains("nothing was unloaded"));
        // An empty repository with nothing known is simply empty.
        assertThat(faults.listed(List.of(), Set.of()).scan()).isTrue();
        assertThat(faults.listingFaulted()).isFalse();
    }

    @Test
    void aModelWhoseScanFailsKeepsItsViewAndIsReadAgainWithBackoff() {
        draw.set(0.0); // half the nominal wait
        assertThat(faults.scanFailed("m", "could not read m/config.pbtxt in the repository (Permission denied)", true))
                .hasValueSatisfying(n -> assertThat(n)
                        .isEqualTo("model 'm': repository read failed: could not read m/config.pbtxt in the repository"
                                + " (Permission denied); serving the last good version; trying again in 0.5 s"));
        assertThat(faults.staleReason("m"))
                .contains("repository read failed: could not read m/config.pbtxt in the repository (Permission denied);"
                        + " serving the last good version");
        assertThat(faults.staleReason("other")).isEmpty();
        assertThat(faults.scanDue("m")).isFalse();
        assertThat(faults.scanDue("other")).isTrue();
        assertThat(faults.dueModels()).isEmpty();
        clock.addAndGet(S / 2);
        assertThat(faults.dueModels()).containsExactly("m");
        assertThat(faults.scanFailed("m", "again", true)).isEmpty();
        assertThat(faults.fault("m").orElseThrow().retryAtNanos() - clock.get()).isEqualTo(S);
        assertThat(faults.dueModels()).isEmpty();

        clock.addAndGet(S);
        assertThat(faults.scanned("m"))
                .hasValueSatisfying(n -> assertThat(n).contains("readable again after 2 failed reads in 1.5 s"));
        assertThat(faults.scanned("m")).isEmpty();
        assertThat(faults.staleReason("m")).isEmpty();
        assertThat(faults.nextRetryNanos()).isEmpty();

        // A model never read says so; a listing without it forgets it.
        assertThat(faults.scanFailed("new", "io", false))
                .hasValueSatisfying(n -> assertThat(n).contains("not served until it can be read"));
        faults.listed(List.of("m"), Set.of("m"));
        assertThat(faults.fault("new")).isEmpty();
    }

    @Test
    void aBrokenConfigIsReadAgainButTheIndexShowsTheConfigsOwnProblem() {
        assertThat(faults.configBroken("m"))
                .hasValueSatisfying(n -> assertThat(n).contains("config.pbtxt does not parse"));
        assertThat(faults.fault("m")).isPresent();
        assertThat(faults.staleReason("m")).isEmpty();
        assertThat(faults.configBroken("m")).isEmpty();
        assertThat(faults.nextRetryNanos()).isPresent();
        assertThat(faults.scanned("m")).isPresent();
    }

    @Test
    void theNextRetryIsTheEarliestOfAll() {
        draw.set(0.0);
        faults.scanFailed("a", "io", true); // due in 0.5 s
        clock.addAndGet(S / 4);
        faults.scanFailed("b", "io", true); // due in 0.5 s from now
        long now = clock.get();
        assertThat(faults.nextRetryNanos()).hasValue(now + S / 4);
        faults.listingFailed("io");
        assertThat(faults.nextRetryNanos()).hasValue(now + S / 4);
        clock.addAndGet(S / 4);
        assertThat(faults.dueModels()).containsExactly("a");
    }
}
