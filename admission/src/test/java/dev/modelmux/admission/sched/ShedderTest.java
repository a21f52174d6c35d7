package dev.modelmux.admission.sched;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.admission.Priority;
import org.junit.jupiter.api.Test;

class ShedderTest {

    private final Shedder shedder = Shedder.create(Shedder.Config.defaults());

    @Test
    void shedsSheddableFirstThenDefaultThenCritical() {
        int limit = 100;
        assertThat(shedder.mayStart(Priority.SHEDDABLE, 79, limit)).isTrue();
        assertThat(shedder.mayStart(Priority.SHEDDABLE, 80, limit)).isFalse();
        assertThat(shedder.mayStart(Priority.DEFAULT, 80, limit)).isTrue();
        assertThat(shedder.mayStart(Priority.DEFAULT, 100, limit)).isFalse();
        assertThat(shedder.mayStart(Priority.CRITICAL, 100, limit)).isTrue();
        assertThat(shedder.mayStart(Priority.CRITICAL, 109, limit)).isTrue();
        assertThat(shedder.mayStart(Priority.CRITICAL, 110, limit)).isFalse();
    }

    @Test
    void ceilingsAreOrderedAtEveryLimit() {
        for (int limit = 1; limit <= 1000; limit++) {
            int s = shedder.ceiling(Priority.SHEDDABLE, limit);
            int d = shedder.ceiling(Priority.DEFAULT, limit);
            int c = shedder.ceiling(Priority.CRITICAL, limit);
            assertThat(s).isLessThanOrEqualTo(d);
            assertThat(d).isLessThan(c);
            assertThat(s).isPositive();
        }
    }
}
