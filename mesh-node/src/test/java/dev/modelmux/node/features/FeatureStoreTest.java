package dev.modelmux.node.features;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.cluster.ClusterConfig;
import dev.modelmux.cluster.MeshCluster;
import dev.modelmux.node.features.FeatureVector.Source;
import dev.modelmux.node.features.internal.TableFeatureStore;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The feature store over a real one-member Hazelcast cluster; both clocks are fake (values are
 * stamped by the cluster's clock, the cache ages by the store's), the timers real. Each test uses
 * its own entity ids.
 */
class FeatureStoreTest {
    private static final long T0 = 1_700_000_000_000L;
    private static final Duration GENEROUS = Duration.ofSeconds(30);
    private static final AtomicLong WALL = new AtomicLong(T0);
    private static ExecutorService executor;
    private static MeshCluster cluster;
    private static Vertx vertx;

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private PrometheusMeterRegistry registry;
    private TableFeatureStore store;

    @BeforeAll
    static void startCluster() {
        executor = Executors.newCachedThreadPool();
        cluster = MeshCluster.join(
                        ClusterConfig.defaults()
                                .withNodeId("features")
                                .withClusterName("features-"
                                        + UUID.randomUUID().toString().substring(0, 8)),
                        executor,
                        WALL::get)
                .join();
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stopCluster() {
        cluster.crash();
        executor.shutdownNow();
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    private TableFeatureStore store(FeatureStoreConfig config) {
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        store = TableFeatureStore.create(cluster, vertx, config, registry, nanos::get, WALL::get);
        return store;
    }

    @AfterEach
    void closeStore() {
        if (store != null) {
            store.close();
        }
    }

    private static FeatureVector get(CompletionStage<FeatureVector> stage) throws Exception {
        return stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    private static void put(String entity, Map<String, Double> values) {
        cluster.features().put(Map.of(entity, values)).join();
    }

    @Test
    void storedValuesComeBackInTheAskedOrderWithTheirAgeAndMissingOnesAsDefaults() throws Exception {
        TableFeatureStore s = store(FeatureStoreConfig.defaults());
        WALL.set(T0);
        put("user:1", Map.of("user.age", 31.0, "user.spend_30d", 120.5));
        WALL.set(T0 + 2_500);

        FeatureVector v = get(s.fetch(
                "user:1",
                List.of("user.spend_30d", "user.age", "user.country_risk", "user.age", "no default"),
                Map.of("user.country_risk", 0.3),
                GENEROUS,
                Duration.ZERO));

        assertThat(v.values().keySet())
                .containsExactly("user.spend_30d", "user.age", "user.country_risk", "no default");
        assertThat(v.values())
                .containsEntry("user.spend_30d", 120.5)
                .containsEntry("user.age", 31.0)
                .containsEntry("user.country_risk", 0.3);
        assertThat(v.values().get("no default")).isNaN();
        assertThat(v.sources())
                .containsExactly(
                        Map.entry("user.spend_30d", Source.STORE),
                        Map.entry("user.age", Source.STORE),
                        Map.entry("user.country_risk", Source.DEFAULT_MISSING),
                        Map.entry("no default", Source.DEFAULT_MISSING));
        assertThat(v.anyDefaulted()).isTrue();
        assertThat(v.timedOut()).isFalse();
        assertThat(v.maxAgeMillis()).isEqualTo(2_500);

        FeatureVector unknown =
                get(s.fetch("nobody", List.of("user.age"), Map.of("user.age", 40.0), GENEROUS, Duration.ZERO));
        assertThat(unknown.values()).containsExactly(Map.entry("user.age", 40.0));
        assertThat(unknown.sources()).containsExactly(Map.entry("user.age", Source.DEFAULT_MISSING));
        assertThat(unknown.maxAgeMillis()).isZero();
        FeatureVector badId = get(s.fetch("not an id", List.of("user.age"), Map.of(), GENEROUS, Duration.ZERO));
        assertThat(badId.sources()).containsExactly(Map.entry("user.age", Source.DEFAULT_MISSING));
        FeatureVector none = get(s.fetch("user:1", List.of(), Map.of(), GENEROUS, Duration.ZERO));
        assertThat(none.values()).isEmpty();
        assertThat(none.anyDefaulted()).isFalse();
    }

    @Test
    void aLookupSlowerThanItsTimeoutGivesTheDefaultsAndSaysItTimedOut() throws Exception {
        // The fault hook holds every lookup back far longer than the request's timeout.
        TableFeatureStore s = store(FeatureStoreConfig.defaults().withLookupDelay(Duration.ofMinutes(10)));
        put("user:2", Map.of("user.age", 52.0));

        FeatureVector v = get(s.fetch(
                "user:2",
                List.of("user.age", "user.tenure"),
                Map.of("user.age", 35.0, "user.tenure", 1.0),
                Duration.ofMillis(50),
                Duration.ZERO));

        assertThat(v.values()).containsExactly(Map.entry("user.age", 35.0), Map.entry("user.tenure", 1.0));
        assertThat(v.sources())
                .containsExactly(
                        Map.entry("user.age", Source.DEFAULT_TIMEOUT),
                        Map.entry("user.tenure", Source.DEFAULT_TIMEOUT));
        assertThat(v.timedOut()).isTrue();
        assertThat(v.anyDefaulted()).isTrue();
        assertThat(registry.get("modelmux_feature_timeouts").counter().count()).isEqualTo(1.0);
    }

    @Test
    void theCacheServesWithinTheStalenessAndRefetchesAfterIt() throws Exception {
        TableFeatureStore s = store(FeatureStoreConfig.defaults());
        Duration staleness = Duration.ofSeconds(5);
        WALL.set(T0);
        put("user:3", Map.of("user.age", 20.0));

        FeatureVector first = get(s.fetch("user:3", List.of("user.age"), Map.of(), GENEROUS, staleness));
        put("user:3", Map.of("user.age", 21.0));
        nanos.addAndGet(Duration.ofSeconds(5).toNanos());
        FeatureVector cached = get(s.fetch("user:3", List.of("user.age"), Map.of(), GENEROUS, staleness));
        FeatureVector uncached = get(s.fetch("user:3", List.of("user.age"), Map.of(), GENEROUS, Duration.ZERO));
        nanos.addAndGet(1);
        FeatureVector refetched = get(s.fetch("user:3", List.of("user.age"), Map.of(), GENEROUS, staleness));
        FeatureVector cachedAgain = get(s.fetch("user:3", List.of("user.age"), Map.of(), GENEROUS, staleness));

        assertThat(first.sources()).containsExactly(Map.entry("user.age", Source.STORE));
        assertThat(first.values()).containsExactly(Map.entry("user.age", 20.0));
        assertThat(cached.sources()).containsExactly(Map.entry("user.age", Source.CACHE));
        assertThat(cached.values()).containsExactly(Map.entry("user.age", 20.0));
        assertThat(uncached.sources()).containsExactly(Map.entry("user.age", Source.STORE));
        assertThat(uncached.values()).containsExactly(Map.entry("user.age", 21.0));
        assertThat(refetched.sources()).containsExactly(Map.entry("user.age", Source.STORE));
        assertThat(refetched.values()).containsExactly(Map.entry("user.age", 21.0));
        assertThat(cachedAgain.sources()).containsExactly(Map.entry("user.age", Source.CACHE));
        assertThat(cachedAgain.values()).containsExactly(Map.entry("user.age", 21.0));
        assertThat(registry.get("modelmux_feature_cache_hits").counter().count())
                .isEqualTo(2.0);
    }

    @Test
    void cachedValuesAreStillServedWhenTheRestOfTheLookupTimesOut() throws Exception {
        put("user:4", Map.of("user.age", 44.0, "user.tenure", 3.0));
        // One value cached; then a lookup with no time left for the store at all.
        TableFeatureStore warm = store(FeatureStoreConfig.defaults());
        FeatureVector warmed =
                get(warm.fetch("user:4", List.of("user.age"), Map.of(), GENEROUS, Duration.ofMinutes(1)));
        assertThat(warmed.sources()).containsExactly(Map.entry("user.age", Source.STORE));
        assertThat(warm.cachedValues()).isEqualTo(1);
        FeatureVector both = get(warm.fetch(
                "user:4",
                List.of("user.age", "user.tenure"),
                Map.of("user.tenure", 0.0),
                Duration.ZERO,
                Duration.ofMinutes(1)));

        assertThat(both.sources())
                .containsExactly(Map.entry("user.age", Source.CACHE), Map.entry("user.tenure", Source.DEFAULT_TIMEOUT));
        assertThat(both.values()).containsExactly(Map.entry("user.age", 44.0), Map.entry("user.tenure", 0.0));
        assertThat(both.timedOut()).isTrue();
    }

    @Test
    void aFailedLookupGivesTheDefaultsAsErrors() throws Exception {
        TableFeatureStore s = store(FeatureStoreConfig.defaults());
        put("user:5", Map.of("user.age", 60.0));
        s.close(); // its read pool refuses work from now on: the lookup fails

        FeatureVector v = get(s.fetch("user:5", List.of("user.age"), Map.of("user.age", 1.0), GENEROUS, Duration.ZERO));

        assertThat(v.sources()).containsExactly(Map.entry("user.age", Source.DEFAULT_ERROR));
        assertThat(v.values()).containsExactly(Map.entry("user.age", 1.0));
        assertThat(v.timedOut()).isFalse();
        assertThat(registry.get("modelmux_feature_errors").counter().count()).isEqualTo(1.0);
    }

    @Test
    void theMetricsAreExposedForPrometheus() throws Exception {
        TableFeatureStore s = store(FeatureStoreConfig.defaults());
        WALL.set(T0);
        put("user:6", Map.of("user.age", 18.0));
        WALL.set(T0 + 1_000);
        get(s.fetch("user:6", List.of("user.age", "user.missing"), Map.of(), GENEROUS, Duration.ofSeconds(1)));
        get(s.fetch("user:6", List.of("user.age"), Map.of(), GENEROUS, Duration.ofSeconds(1)));

        String scrape = registry.scrape();
        assertThat(scrape)
                .contains("modelmux_feature_lookup_duration_seconds_count{outcome=\"ok\"} 1")
                .contains("modelmux_feature_values_requested_total 3")
                .contains("modelmux_feature_misses_total 1")
                .contains("modelmux_feature_cache_hits_total 1")
                .contains("modelmux_feature_timeouts_total 0")
                .contains("modelmux_feature_value_age_milliseconds_count 2")
                .contains("modelmux_feature_value_age_milliseconds_sum 2000");
    }
}
