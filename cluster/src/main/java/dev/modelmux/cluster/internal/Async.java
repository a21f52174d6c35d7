package dev.modelmux.cluster.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/** Runs blocking Hazelcast calls on the caller-supplied executor, never on the caller's thread. */
final class Async {

    private Async() {
    }

    static <T> CompletableFuture<T> call(Executor executor, Supplier<T> blocking) {
        return CompletableFuture.supplyAsync(blocking, executor);
    }

    static CompletableFuture<Void> run(Executor executor, Runnable blocking) {
        return CompletableFuture.runAsync(blocking, executor);
    }

    static <T> CompletableFuture<T> failed(Throwable error) {
        return CompletableFuture.failedFuture(error);
    }
}
