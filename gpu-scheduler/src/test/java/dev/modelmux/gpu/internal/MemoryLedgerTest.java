package dev.modelmux.gpu.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.modelmux.gpu.ModelKey;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class MemoryLedgerTest {
    private static final long GIB = 1L << 30;
    private static final ModelKey A = new ModelKey("a", 1);
    private static final ModelKey B = new ModelKey("b", 1);
    private static final ModelKey C = new ModelKey("c", 1);

    @Test
    void reserveCommitReleaseBeyondIntRange() {
        MemoryLedger ledger = new MemoryLedger(80 * GIB);
        assertThat(ledger.tryReserve(A, 30 * GIB)).isTrue();
        assertThat(ledger.tryReserve(B, 40 * GIB)).isTrue();
        assertThat(ledger.snapshot()).isEqualTo(new MemoryLedger.Snapshot(80 * GIB, 0, 70 * GIB));
        assertThat(ledger.tryReserve(C, 10 * GIB + 1)).isFalse();
        assertThat(ledger.snapshot().reservedBytes()).isEqualTo(70 * GIB);

        assertThat(ledger.commit(A, 25 * GIB).committed()).isTrue();
        assertThat(ledger.snapshot()).isEqualTo(new MemoryLedger.Snapshot(80 * GIB, 25 * GIB, 40 * GIB));
        assertThat(ledger.freeBytes()).isEqualTo(15 * GIB);
        assertThat(ledger.bytesOf(A)).hasValue(25 * GIB);
        assertThat(ledger.bytesOf(B)).hasValue(40 * GIB);

        assertThat(ledger.release(B)).isEqualTo(40 * GIB);
        assertThat(ledger.release(A)).isEqualTo(25 * GIB);
        assertThat(ledger.release(A)).isZero();
        assertThat(ledger.snapshot()).isEqualTo(new MemoryLedger.Snapshot(80 * GIB, 0, 0));
    }

    @Test
    void commitLargerThanRoomReportsShortfallAndKeepsReservation() {
        MemoryLedger ledger = new MemoryLedger(10 * GIB);
        ledger.tryReserve(A, 4 * GIB);
        ledger.tryReserve(B, 3 * GIB);
        // Room for A: its 4 GiB + 3 GiB free = 7 GiB.
        MemoryLedger.Commit refused = ledger.commit(A, 9 * GIB);
        assertThat(refused.committed()).isFalse();
        assertThat(refused.shortfallBytes()).isEqualTo(2 * GIB);
        assertThat(ledger.snapshot()).isEqualTo(new MemoryLedger.Snapshot(10 * GIB, 0, 7 * GIB));

        ledger.release(B);
        assertThat(ledger.commit(A, 9 * GIB).committed()).isTrue();
        assertThat(ledger.snapshot()).isEqualTo(new MemoryLedger.Snapshot(10 * GIB, 9 * GIB, 0));
    }

    @Test
    void exactFitAndHugeRequestsNeverOverflow() {
        MemoryLedger ledger = new MemoryLedger(Long.MAX_VALUE - 1);
        assertThat(ledger.tryReserve(A, Long.MAX_VALUE - 2)).isTrue();
        assertThat(ledger.tryReserve(B, Long.MAX_VALUE)).isFalse();
        assertThat(ledger.tryReserve(B, 1)).isTrue();
        assertThat(ledger.freeBytes()).isZero();
        assertThat(ledger.tryReserve(C, 0)).isTrue();
        // Room for A is its own reservation (free is 0): MAX - (MAX - 2).
        assertThat(ledger.commit(A, Long.MAX_VALUE).shortfallBytes()).isEqualTo(2);
    }

    @Test
    void misuseIsRefused() {
        MemoryLedger ledger = new MemoryLedger(100);
        ledger.tryReserve(A, 10);
        assertThatThrownBy(() -> ledger.tryReserve(A, 1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> ledger.commit(B, 1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> ledger.tryReserve(B, -1)).isInstanceOf(IllegalArgumentException.class);
        ledger.commit(A, 10);
        assertThatThrownBy(() -> ledger.commit(A, 10)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> new MemoryLedger(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void invariantHoldsUnderConcurrentRandomOperations() throws Exception {
        long capacity = 5 * GIB;
        MemoryLedger ledger = new MemoryLedger(capacity);
        int threads = 4;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        List<String> violations = Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < threads; t++) {
            int id = t;
            done.add(pool.submit(() -> {
                SplittableRandom random = new SplittableRandom(id);
                // Each thread owns its keys, so it knows exactly what each of them must hold.
                Map<ModelKey, Long> reservedHere = new HashMap<>();
                Map<ModelKey, Long> committedHere = new HashMap<>();
                start.await();
                for (int i = 0; i < 20_000; i++) {
                    ModelKey key = new ModelKey("t" + id + "-" + random.nextInt(8), 1);
                    long bytes = random.nextLong(2 * GIB);
                    switch (random.nextInt(3)) {
                        case 0 -> {
                            if (ledger.bytesOf(key).isEmpty() && ledger.tryReserve(key, bytes)) {
                                reservedHere.put(key, bytes);
                            }
                        }
                        case 1 -> {
                            if (reservedHere.containsKey(key)) {
                                MemoryLedger.Commit c = ledger.commit(key, bytes);
                                if (c.committed()) {
                                    reservedHere.remove(key);
                                    committedHere.put(key, bytes);
                                } else if (c.shortfallBytes() <= 0) {
                                    violations.add("refused commit of " + key + " without a shortfall: " + c);
                                }
                            } else {
                                assertThatThrownBy(() -> ledger.commit(key, bytes))
                                        .isInstanceOf(IllegalStateException.class);
                            }
                        }
                        default -> {
                            long held = reservedHere.containsKey(key)
                                    ? reservedHere.remove(key)
                                    : committedHere.containsKey(key) ? committedHere.remove(key) : 0;
                            long freed = ledger.release(key);
                            if (freed != held) {
                                violations.add("release of " + key + " freed " + freed + ", held " + held);
                            }
                        }
                    }
                    Long expected = reservedHere.containsKey(key) ? reservedHere.get(key) : committedHere.get(key);
                    OptionalLong actual = ledger.bytesOf(key);
                    if (expected == null ? actual.isPresent() : actual.isEmpty() || actual.getAsLong() != expected) {
                        violations.add(key + " holds " + actual + ", expected " + expected);
                    }
                    MemoryLedger.Snapshot s = ledger.snapshot();
                    if (s.usedBytes() < 0 || s.reservedBytes() < 0 || s.usedBytes() + s.reservedBytes() > capacity) {
                        violations.add(s.toString());
                    }
                }
                return null;
            }));
        }
        start.countDown();
        for (Future<?> f : done) {
            f.get();
        }
        pool.shutdown();
        assertThat(violations).isEmpty();
    }
}
