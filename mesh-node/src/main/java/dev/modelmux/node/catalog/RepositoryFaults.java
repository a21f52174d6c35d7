package dev.modelmux.node.catalog;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

/**
 * What the catalog knows of the repository's faults, and when to read it again. Pure: the clock and the
 * jitter are passed in; thread-safe (the scan runs on a worker, readers on event loops).
 *
 * <ul>
 *   <li>A listing that fails (an I/O error, permission denied, the root moved away) tells nothing: every
 *       model keeps its last good view, and the listing is tried again with {@link Backoff backoff}.
 *   <li>A listing that succeeds is the truth about which models exist, so a model it no longer has is gone
 *       at once; except a listing that is suddenly empty while the catalog holds models (a sync tool
 *       swapping the folder, a mount blip), which is believed only once listings have stayed empty for
 *       {@code emptyGrace} and at least twice in a row.
 *   <li>A model whose scan fails keeps its last good view and is scanned again with backoff; so is a
 *       model whose folder was listed but could not be read.
 * </ul>
 *
 * <p>Every method that changes a state returns the change in one line for the log ({@code news}), and
 * nothing while a fault merely goes on, so the log has one line per state change, not per poll.
 */
final class RepositoryFaults {
    /** How long listings must stay empty before the models they no longer show are believed gone. */
    static final Duration EMPTY_GRACE = Duration.ofSeconds(30);

    /** What failed, as the errors metric's {@code kind} label. */
    enum Kind {
        /** The repository root could not be listed. */
        LISTING,
        /** The root listed no models while the catalog held some (not yet confirmed). */
        EMPTY_LISTING,
        /** A model's folder, config.pbtxt or selected artifact could not be read at a scan. */
        MODEL_SCAN,
        /** A version's artifact could not be read when it was loaded. */
        ARTIFACT_READ;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        static List<String> labels() {
            List<String> out = new ArrayList<>();
            for (Kind k : values()) {
                out.add(k.label());
            }
            return out;
        }
    }

    /**
     * A read that keeps failing.
     *
     * @param reason the latest failure's reason (safe to show: no absolute path, no credentials)
     * @param sinceNanos when the first failure in a row happened
     * @param failures failures in a row
     * @param retryAtNanos when the read is due again
     * @param config the model's config.pbtxt stopped parsing (the index shows the config's own problem)
     */
    record Fault(String reason, long sinceNanos, int failures, long retryAtNanos, boolean config) {}

    /**
     * What a successful listing decided.
     *
     * @param gone known models the listing shows to be gone (their copies are unloaded)
     * @param scan whether the listed models are to be scanned (not while an empty listing awaits confirmation)
     * @param news the state change, if any, in one line for the log
     */
    record Verdict(Set<String> gone, boolean scan, Optional<String> news) {}

    private final LongSupplier nanoClock;
    private final DoubleSupplier jitter;
    private final Backoff backoff;
    private final long emptyGraceNanos;
    /** The listing fails; null while it works. */
    private Fault listing;
    /** Listings are empty while models are known, not yet confirmed; null otherwise. */
    private Fault empty;

    private final Map<String, Fault> models = new HashMap<>();

    /**
     * @param nanoClock monotonic time ({@link System#nanoTime()} in production)
     * @param jitter uniform draws in [0, 1) that spread the retries
     */
    RepositoryFaults(LongSupplier nanoClock, DoubleSupplier jitter, Backoff backoff, Duration emptyGrace) {
        this.nanoClock = nanoClock;
        this.jitter = jitter;
        this.backoff = backoff;
        this.emptyGraceNanos = emptyGrace.toNanos();
    }

    // ---------------------------------------------------------------- the listing

    /** Whether the listing is due: it works, or its retry time has come. */
    synchronized boolean listingDue() {
        Fault f = listing != null ? listing : empty;
        return f == null || nanoClock.getAsLong() - f.retryAtNanos() >= 0;
    }

    /** Whether the listing fails or awaits confirmation of an empty one: every model's view is then stale. */
    synchronized boolean listingFaulted() {
        return listing != null || empty != null;
    }

    /** The listing failed: nothing is known, nothing changes; returns the news when the failures start. */
    synchronized Optional<String> listingFailed(String reason) {
        long now = nanoClock.getAsLong();
        if (listing == null) {
            listing = fault(reason, now, 1);
            return Optional.of("listing failed: " + reason + "; every model keeps its last good view;"
                    + " trying again in " + seconds(listing.retryAtNanos() - now) + ", backing off to "
                    + seconds(backoff.capNanos()));
        }
        listing = next(listing, reason, now);
        return Optional.empty();
    }

    /**
     * A listing that worked: which of the {@code known} models are gone.
     *
     * @param listed the models the listing shows
     * @param known the models of the catalog
     */
    synchronized Verdict listed(Collection<String> listed, Collection<String> known) {
        long now = nanoClock.getAsLong();
        List<String> news = new ArrayList<>();
        if (listing != null) {
            news.add("listing works again after " + listing.failures() + " failed tries in "
                    + seconds(now - listing.sinceNanos()));
            listing = null;
        }
        if (listed.isEmpty() && !known.isEmpty()) {
            if (empty == null) {
                empty = new Fault(
                        "the repository lists no models", now, 1, now + Math.min(delay(1), emptyGraceNanos), false);
                news.add("lists no models while " + known.size() + " are known: keeping them until"
                        + " listings stay empty for " + seconds(emptyGraceNanos));
                return new Verdict(Set.of(), false, joined(news));
            }
            int n = empty.failures() + 1;
            long graceEnd = empty.sinceNanos() + emptyGraceNanos;
            if (now - graceEnd >= 0) {
                news.add("has listed no models for " + seconds(now - empty.sinceNanos()) + " (" + n + " listings): the "
                        + known.size() + " models it had are gone");
                empty = null;
                models.clear();
                return new Verdict(new HashSet<>(known), true, joined(news));
            }
            long retry = now + delay(n);
            empty = new Fault(empty.reason(), empty.sinceNanos(), n, retry - graceEnd > 0 ? graceEnd : retry, false);
            return new Verdict(Set.of(), false, joined(news));
        }
        if (empty != null) {
            news.add("lists models again (it listed none for " + seconds(now - empty.sinceNanos())
                    + "); nothing was unloaded");
            empty = null;
        }
        Set<String> names = new HashSet<>(listed);
        models.keySet().retainAll(names);
        Set<String> gone = new HashSet<>(known);
        gone.removeAll(names);
        return new Verdict(gone, true, joined(news));
    }

    // ---------------------------------------------------------------- models

    /** Whether a model's scan is due: it works, or its retry time has come. */
    synchronized boolean scanDue(String model) {
        Fault f = models.get(model);
        return f == null || nanoClock.getAsLong() - f.retryAtNanos() >= 0;
    }

    /** Models whose scans fail and whose retry time has come. */
    synchronized List<String> dueModels() {
        long now = nanoClock.getAsLong();
        List<String> out = new ArrayList<>();
        models.forEach((name, f) -> {
            if (now - f.retryAtNanos() >= 0) {
                out.add(name);
            }
        });
        out.sort(null);
        return out;
    }

    /**
     * A model's scan failed; returns the news when its failures start.
     *
     * @param known whether the catalog has a view of it (then kept), or it was never read
     */
    synchronized Optional<String> scanFailed(String model, String reason, boolean known) {
        return failed(model, reason, known, false);
    }

    /**
     * A model's config.pbtxt stopped parsing while the last good one serves: perhaps a file caught
     * mid-write, so it is read again with backoff; the index shows the config's own problem.
     */
    synchronized Optional<String> configBroken(String model) {
        return failed(model, "its config.pbtxt does not parse (is it being written?)", true, true);
    }

    private Optional<String> failed(String model, String reason, boolean known, boolean config) {
        long now = nanoClock.getAsLong();
        Fault f = models.get(model);
        if (f == null) {
            f = new Fault(reason, now, 1, now + delay(1), config);
            models.put(model, f);
            return Optional.of("model '" + model + "': " + (config ? "" : "repository read failed: ") + reason
                    + "; " + (known ? "serving the last good version" : "not served until it can be read")
                    + "; trying again in " + seconds(f.retryAtNanos() - now));
        }
        int n = f.failures() == Integer.MAX_VALUE ? f.failures() : f.failures() + 1;
        models.put(model, new Fault(reason, f.sinceNanos(), n, now + delay(n), config));
        return Optional.empty();
    }

    /** A model's scan worked; returns the news when that ends a run of failures. */
    synchronized Optional<String> scanned(String model) {
        Fault f = models.remove(model);
        if (f == null) {
            return Optional.empty();
        }
        return Optional.of("model '" + model + "': repository readable again after " + f.failures()
                + " failed reads in " + seconds(nanoClock.getAsLong() - f.sinceNanos()));
    }

    synchronized Optional<Fault> fault(String model) {
        return Optional.ofNullable(models.get(model));
    }

    synchronized Optional<Fault> listingFault() {
        return Optional.ofNullable(listing != null ? listing : empty);
    }

    /**
     * Why a model's view may be stale, for the repository index: the listing fails or awaits
     * confirmation of an empty one, or the model's own scan fails; empty when its view is current.
     */
    synchronized Optional<String> staleReason(String model) {
        if (listing != null) {
            return Optional.of("repository read failed: " + listing.reason() + "; serving the last good version");
        }
        if (empty != null) {
            return Optional.of("repository lists no models (not yet confirmed); serving the last good version");
        }
        Fault f = models.get(model);
        return f == null || f.config()
                ? Optional.empty()
                : Optional.of("repository read failed: " + f.reason() + "; serving the last good version");
    }

    /** When the next read is due (the earliest retry), or empty when nothing fails. */
    synchronized OptionalLong nextRetryNanos() {
        OptionalLong at = OptionalLong.empty();
        List<Fault> all = new ArrayList<>(models.values());
        if (listing != null) {
            all.add(listing);
        }
        if (empty != null) {
            all.add(empty);
        }
        for (Fault f : all) {
            if (at.isEmpty() || f.retryAtNanos() - at.getAsLong() < 0) {
                at = OptionalLong.of(f.retryAtNanos());
            }
        }
        return at;
    }

    // ---------------------------------------------------------------- helpers

    private Fault fault(String reason, long now, int failures) {
        return new Fault(reason, now, failures, now + delay(failures), false);
    }

    private Fault next(Fault f, String reason, long now) {
        int n = f.failures() == Integer.MAX_VALUE ? f.failures() : f.failures() + 1;
        return new Fault(reason, f.sinceNanos(), n, now + delay(n), false);
    }

    private long delay(int failures) {
        return backoff.delayNanos(failures, jitter.getAsDouble());
    }

    private static Optional<String> joined(List<String> news) {
        return news.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", news));
    }

    /** A duration for the log: "0.7 s", "12 s". */
    static String seconds(long nanos) {
        double s = Math.max(0, nanos) / 1e9;
        return s < 10 ? String.format(Locale.ROOT, "%.1f s", s) : Math.round(s) + " s";
    }
}
