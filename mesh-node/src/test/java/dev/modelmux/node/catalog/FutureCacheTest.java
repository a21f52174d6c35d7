package dev.modelmux.node.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class FutureCacheTest {
    @Test
    void concurrentCallersShareOneComputation() {
        FutureCache<String> cache = new FutureCache<>(8);
        AtomicInteger computed = new AtomicInteger();
        Promise<String> p = Promise.promise();
        Future<String> a = cache.get("k", () -> {
            computed.incrementAndGet();
            return p.future();
        });
        Future<String> b = cache.get("k", () -> {
            computed.incrementAndGet();
            return Future.succeededFuture("other");
        });
        p.complete("v");
        assertThat(computed).hasValue(1);
        assertThat(a.result()).isEqualTo("v");
        assertThat(b.result()).isEqualTo("v");
    }

    @Test
    void aFailureIsForgottenSoTheNextCallerTriesAgain() {
        FutureCache<String> cache = new FutureCache<>(8);
        assertThat(cache.get("k", () -> Future.failedFuture("boom")).failed()).isTrue();
        assertThat(cache.get("k", () -> Future.succeededFuture("v")).result()).isEqualTo("v");
        assertThat(cache.get("k", () -> Future.succeededFuture("w")).result()).isEqualTo("v");
    }

    @Test
    void theLeastRecentlyUsedGoesPastCapacity() {
        FutureCache<String> cache = new FutureCache<>(2);
        cache.get("a", () -> Future.succeededFuture("a1"));
        cache.get("b", () -> Future.succeededFuture("b1"));
        cache.get("a", () -> Future.succeededFuture("a2"));
        cache.get("c", () -> Future.succeededFuture("c1"));
        assertThat(cache.size()).isEqualTo(2);
        assertThat(cache.get("a", () -> Future.succeededFuture("a3")).result()).isEqualTo("a1");
        assertThat(cache.get("b", () -> Future.succeededFuture("b2")).result()).isEqualTo("b2");
    }
}
