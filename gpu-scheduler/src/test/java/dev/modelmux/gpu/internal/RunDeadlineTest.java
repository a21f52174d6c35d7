package dev.modelmux.gpu.internal;

import static dev.modelmux.gpu.internal.TestModels.config;
import static dev.modelmux.gpu.internal.TestModels.cpu;
import static dev.modelmux.gpu.internal.TestModels.exactPool;
import static dev.modelmux.gpu.internal.TestModels.spec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.gpu.DeadlineExceededException;
import dev.modelmux.gpu.DevicePool;
import dev.modelmux.gpu.InferenceResult;
import dev.modelmux.gpu.Lease;
import dev.modelmux.gpu.ModelKey;
import dev.modelmux.gpu.TensorData;
import dev.modelmux.repo.DataType;
import dev.modelmux.repo.OnnxModelBuilder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Deadlines on runs: skipped when already past, terminated through ONNX Runtime's run options while running. */
class RunDeadlineTest {
    private static final long MIB = 1L << 20;
    private static final int WIDTH = 1024;

    private final TestModels.FakeClock clock = new TestModels.FakeClock();
    private final TestModels.Events events = new TestModels.Events();

    private static TensorData rows(int n) {
        ByteBuffer raw = ByteBuffer.allocateDirect(n * WIDTH * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n * WIDTH; i++) {
            raw.putFloat((float) Math.sin(i * 0.01));
        }
        return TensorData.ofRaw("input", DataType.FP32, new long[] {n, WIDTH}, raw.flip());
    }

    private static Throwable failure(CompletableFuture<InferenceResult> f) throws Exception {
        try {
            f.get(120, TimeUnit.SECONDS);
            throw new AssertionError("expected the run to fail");
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    @Test
    void aRunPastItsDeadlineIsSkippedAndARunningOneIsTerminated() throws Exception {
        // Heavy enough that 4096 rows take far longer than the 20 ms deadline on any machine.
        byte[] model = OnnxModelBuilder.mlp()
                .inputDim(WIDTH)
                .width(WIDTH)
                .depth(12)
                .outputDim(8)
                .seed(1)
                .build();
        try (DevicePool pool = exactPool(config(0, cpu("cpu0", 256 * MIB, 1)), clock, events)) {
            ModelKey key = new ModelKey("slow", 1);
            try (Lease lease = pool.acquire(key, spec("slow", model)).get(120, TimeUnit.SECONDS)) {
                Throwable skipped = failure(lease.run(List.of(rows(1)), Set.of(), clock.getAsLong() - 1));
                assertThat(skipped)
                        .isInstanceOf(DeadlineExceededException.class)
                        .hasMessageContaining("did not run");
                assertThat(((DeadlineExceededException) skipped).started()).isFalse();

                // The pool's clock is a fake that stands still, so the run is not skipped; the terminate
                // timer counts real time from the deadline's distance.
                Throwable terminated =
                        failure(lease.run(List.of(rows(4096)), Set.of(), clock.getAsLong() + 20_000_000L));
                assertThat(terminated)
                        .isInstanceOf(DeadlineExceededException.class)
                        .hasMessageContaining("terminated");
                assertThat(((DeadlineExceededException) terminated).started()).isTrue();

                // The session is intact: the next run without a deadline succeeds.
                InferenceResult ok = lease.run(List.of(rows(2)), Set.of()).get(120, TimeUnit.SECONDS);
                assertThat(ok.outputs().get(0).shape()).containsExactly(2, 8);
            }
        }
    }
}
