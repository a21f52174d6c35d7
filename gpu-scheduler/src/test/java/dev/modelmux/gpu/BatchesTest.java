package dev.modelmux.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.modelmux.repo.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BatchesTest {

    private static TensorData fp32(String name, long[] shape, float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return TensorData.ofRaw(name, DataType.FP32, shape, b.flip());
    }

    private static TensorData int64(String name, long[] shape, long... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            b.putLong(v);
        }
        return TensorData.ofRaw(name, DataType.INT64, shape, b.flip());
    }

    private static TensorData strings(String name, long[] shape, String... values) {
        return TensorData.ofStrings(
                name,
                shape,
                List.of(values).stream()
                        .map(s -> s.getBytes(StandardCharsets.UTF_8))
                        .toList());
    }

    private static float[] floats(TensorData t) {
        ByteBuffer b = t.raw().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[b.remaining() / 4];
        for (int i = 0; i < out.length; i++) {
            out[i] = b.getFloat();
        }
        return out;
    }

    private static long[] longs(TensorData t) {
        ByteBuffer b = t.raw().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        long[] out = new long[b.remaining() / 8];
        for (int i = 0; i < out.length; i++) {
            out[i] = b.getLong();
        }
        return out;
    }

    private static List<String> texts(TensorData t) {
        return t.strings().stream()
                .map(s -> new String(s, StandardCharsets.UTF_8))
                .toList();
    }

    @Test
    void fp32InputsStackInMemberOrderAndSplitBackAsViews() throws Exception {
        TensorData a = fp32("x", new long[] {1, 2}, 1, 2);
        TensorData b = fp32("x", new long[] {2, 2}, 3, 4, 5, 6);
        List<TensorData> stacked = Batches.stack(List.of(List.of(a), List.of(b)));
        assertThat(stacked).singleElement().satisfies(t -> {
            assertThat(t.shape()).containsExactly(3, 2);
            assertThat(t.raw().isDirect()).isTrue();
            assertThat(floats(t)).containsExactly(1, 2, 3, 4, 5, 6);
        });

        // The model's output: the same rows, doubled.
        TensorData y = fp32("y", new long[] {3, 2}, 2, 4, 6, 8, 10, 12);
        List<List<TensorData>> parts = Batches.split(List.of(y), new int[] {1, 2}, List.of(Set.of("y"), Set.of("y")));
        assertThat(parts.get(0)).singleElement().satisfies(t -> {
            assertThat(t.shape()).containsExactly(1, 2);
            assertThat(floats(t)).containsExactly(2, 4);
        });
        assertThat(parts.get(1)).singleElement().satisfies(t -> {
            assertThat(t.shape()).containsExactly(2, 2);
            assertThat(floats(t)).containsExactly(6, 8, 10, 12);
        });
        // Zero-copy: a write into the batch's buffer shows through the member's view.
        y.raw().putFloat(8, 99f);
        assertThat(floats(parts.get(1).get(0))[0]).isEqualTo(99f);
    }

    @Test
    void int64InputsStackByNameInTheFirstMembersOrder() throws Exception {
        List<TensorData> m1 =
                List.of(int64("ids", new long[] {1, 3}, 1, 2, 3), int64("mask", new long[] {1, 3}, 1, 1, 0));
        List<TensorData> m2 =
                List.of(int64("mask", new long[] {1, 3}, 1, 0, 0), int64("ids", new long[] {1, 3}, 4, 5, 6));
        List<TensorData> stacked = Batches.stack(List.of(m1, m2));
        assertThat(stacked).extracting(TensorData::name).containsExactly("ids", "mask");
        assertThat(longs(stacked.get(0))).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(longs(stacked.get(1))).containsExactly(1, 1, 0, 1, 0, 0);
        List<List<TensorData>> parts =
                Batches.split(List.of(stacked.get(0)), new int[] {1, 1}, List.of(Set.of("ids"), Set.of("ids")));
        assertThat(longs(parts.get(1).get(0))).containsExactly(4, 5, 6);
    }

    @Test
    void stringsStackAndSplitSharingTheByteArrays() throws Exception {
        TensorData a = strings("text", new long[] {2}, "a", "b");
        TensorData b = strings("text", new long[] {1}, "c");
        List<TensorData> stacked = Batches.stack(List.of(List.of(a), List.of(b)));
        assertThat(texts(stacked.get(0))).containsExactly("a", "b", "c");
        assertThat(stacked.get(0).shape()).containsExactly(3);

        TensorData out = strings("label", new long[] {3, 2}, "a0", "a1", "b0", "b1", "c0", "c1");
        List<List<TensorData>> parts =
                Batches.split(List.of(out), new int[] {2, 1}, List.of(Set.of("label"), Set.of("label")));
        assertThat(texts(parts.get(0).get(0))).containsExactly("a0", "a1", "b0", "b1");
        assertThat(parts.get(1).get(0).shape()).containsExactly(1, 2);
        assertThat(parts.get(1).get(0).strings().get(0)).isSameAs(out.strings().get(4));
    }

    @Test
    void mixedOutputsGoToEachMemberInTheOrderItAskedFor() throws Exception {
        TensorData scores = fp32("scores", new long[] {3, 1}, 0.1f, 0.2f, 0.3f);
        TensorData labels = int64("labels", new long[] {3}, 7, 8, 9);
        TensorData names = strings("names", new long[] {3}, "x", "y", "z");
        List<Set<String>> wanted =
                List.of(new LinkedHashSet<>(List.of("labels", "scores")), Set.of("names"), Set.of("scores"));
        List<List<TensorData>> parts = Batches.split(List.of(scores, labels, names), new int[] {1, 1, 1}, wanted);
        assertThat(parts.get(0)).extracting(TensorData::name).containsExactly("labels", "scores");
        assertThat(longs(parts.get(0).get(0))).containsExactly(7);
        assertThat(texts(parts.get(1).get(0))).containsExactly("y");
        assertThat(floats(parts.get(2).get(0))).containsExactly(0.3f);
        assertThat(Batches.union(wanted)).containsExactly("labels", "scores", "names");
    }

    @Test
    void anOutputWithoutTheBatchDimensionCannotBeSplit() {
        TensorData perBatch = fp32("mean", new long[] {2}, 1, 2);
        assertThatThrownBy(() -> Batches.split(List.of(perBatch), new int[] {1, 2}, List.of(Set.of("mean"), Set.of())))
                .isInstanceOfSatisfying(Batches.CannotSplitException.class, e -> {
                    assertThat(e.failure()).isEqualTo(Batches.SplitFailure.NOT_BATCHED);
                    assertThat(e.output()).isEqualTo("mean");
                    assertThat(e.getMessage()).isEqualTo("output 'mean' has shape [2], not 3 rows along dimension 0");
                });
        TensorData scalar = fp32("loss", new long[] {}, 1);
        assertThatThrownBy(() -> Batches.split(List.of(scalar), new int[] {1}, List.of(Set.of("loss"))))
                .isInstanceOfSatisfying(
                        Batches.CannotSplitException.class,
                        e -> assertThat(e.failure()).isEqualTo(Batches.SplitFailure.NOT_BATCHED));
    }

    @Test
    void aMissingOutputCannotBeSplit() {
        TensorData y = fp32("y", new long[] {1, 1}, 1);
        assertThatThrownBy(() -> Batches.split(List.of(y), new int[] {1}, List.of(Set.of("z"))))
                .isInstanceOfSatisfying(Batches.CannotSplitException.class, e -> {
                    assertThat(e.failure()).isEqualTo(Batches.SplitFailure.MISSING_OUTPUT);
                    assertThat(e.output()).isEqualTo("z");
                });
    }

    @Test
    void membersThatDoNotStackAreRefused() {
        TensorData a = fp32("x", new long[] {1, 2}, 1, 2);
        TensorData wide = fp32("x", new long[] {1, 3}, 1, 2, 3);
        TensorData other = fp32("w", new long[] {1, 2}, 1, 2);
        TensorData ints = int64("x", new long[] {1, 2}, 1, 2);
        assertThatThrownBy(() -> Batches.stack(List.of(List.of(a), List.of(wide))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("input 'x'");
        assertThatThrownBy(() -> Batches.stack(List.of(List.of(a), List.of(other))))
                .hasMessageContaining("no 'x'");
        assertThatThrownBy(() -> Batches.stack(List.of(List.of(a), List.of(ints))))
                .hasMessageContaining("does not stack");
        assertThatThrownBy(() -> Batches.stack(List.of())).hasMessageContaining("nothing to stack");
    }
}
