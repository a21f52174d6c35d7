package dev.modelmux.gpu.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.modelmux.gpu.LoadSpec;
import dev.modelmux.repo.ModelConfigs;
import dev.modelmux.repo.config.ModelConfig;
import dev.modelmux.repo.config.ModelInstanceGroup;
import dev.modelmux.repo.config.ModelParameter;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LocalPlacementTest {
    private static final long GIB = 1L << 30;

    /** A device as the pool sees it at one moment. */
    record Dev(String id, long capacity, long free, long evictable) {}

    private static String choose(long predicted, Dev... devices) {
        return LocalPlacement.choose(List.of(devices), predicted, Dev::free, Dev::evictable, Dev::capacity)
                .id();
    }

    @Test
    void mostFreeAmongThoseWhereItFits() {
        assertThat(choose(2 * GIB, new Dev("a", 80 * GIB, 3 * GIB, 0), new Dev("b", 80 * GIB, 10 * GIB, 0)))
                .isEqualTo("b");
        // b has more free bytes but a is the only one where eviction can make room.
        assertThat(choose(
                        20 * GIB, new Dev("a", 80 * GIB, 3 * GIB, 30 * GIB), new Dev("b", 80 * GIB, 10 * GIB, 5 * GIB)))
                .isEqualTo("a");
        // Ties go to the first.
        assertThat(choose(1, new Dev("a", 8, 4, 0), new Dev("b", 8, 4, 0))).isEqualTo("a");
    }

    @Test
    void fitsNowhereGoesToTheLargestToFailThere() {
        assertThat(choose(100 * GIB, new Dev("small", 16 * GIB, 16 * GIB, 0), new Dev("big", 80 * GIB, 1, 0)))
                .isEqualTo("big");
        assertThat(choose(Long.MAX_VALUE, new Dev("a", Long.MAX_VALUE - 1, Long.MAX_VALUE - 1, 0)))
                .isEqualTo("a");
    }

    @Test
    void queuedLoadsMakeFreeNegativeWithoutOverflow() {
        assertThat(choose(GIB, new Dev("a", 4 * GIB, -2 * GIB, 3 * GIB), new Dev("b", 4 * GIB, -3 * GIB, 3 * GIB)))
                .isEqualTo("a");
        assertThat(choose(GIB, new Dev("a", Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE)))
                .isEqualTo("a");
        // A huge prediction against a device drowned in queued loads: does not fit, no overflow.
        assertThat(choose(Long.MAX_VALUE, new Dev("a", 8, -Long.MAX_VALUE, 8), new Dev("b", 4, 4, 0)))
                .isEqualTo("a");
        assertThatThrownBy(() -> LocalPlacement.choose(List.<Dev>of(), 1, Dev::free, Dev::evictable, Dev::capacity))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void predictionFromMemoryBytesOrArtifactSize() {
        LoadSpec plain = new LoadSpec(1000, Optional.empty(), () -> null, false);
        assertThat(LocalPlacement.predict(plain, 1.5)).isEqualTo(1500);
        assertThat(LocalPlacement.predict(new LoadSpec(1001, Optional.empty(), () -> null, false), 1.5))
                .isEqualTo(1502);
        assertThat(LocalPlacement.predict(new LoadSpec(Long.MAX_VALUE / 2, Optional.empty(), () -> null, false), 100))
                .isEqualTo(Long.MAX_VALUE);
        ModelConfig sized = ModelConfig.newBuilder()
                .putParameters(
                        ModelConfigs.PARAM_MEMORY_BYTES,
                        ModelParameter.newBuilder().setStringValue("6000000000").build())
                .build();
        assertThat(LocalPlacement.predict(new LoadSpec(1000, Optional.of(sized), () -> null, false), 1.5))
                .isEqualTo(6_000_000_000L);
    }

    @Test
    void gpuOnlyWhenTheConfigAllowsIt() {
        assertThat(LocalPlacement.gpuAllowed(Optional.empty())).isTrue();
        assertThat(LocalPlacement.gpuAllowed(Optional.of(ModelConfig.getDefaultInstance())))
                .isTrue();
        assertThat(LocalPlacement.gpuAllowed(Optional.of(group(ModelInstanceGroup.Kind.KIND_CPU))))
                .isFalse();
        assertThat(LocalPlacement.gpuAllowed(Optional.of(group(ModelInstanceGroup.Kind.KIND_GPU))))
                .isTrue();
        assertThat(LocalPlacement.gpuAllowed(Optional.of(group(ModelInstanceGroup.Kind.KIND_AUTO))))
                .isTrue();
    }

    private static ModelConfig group(ModelInstanceGroup.Kind kind) {
        return ModelConfig.newBuilder()
                .addInstanceGroup(ModelInstanceGroup.newBuilder().setKind(kind).setCount(1))
                .build();
    }
}
