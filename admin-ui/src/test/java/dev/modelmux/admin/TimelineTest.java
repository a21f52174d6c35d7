package dev.modelmux.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TimelineTest {

    @Test
    void keepsTheNewestUpToCapacityInSequenceOrder() {
        Timeline<String> t = new Timeline<>(3);
        for (int i = 1; i <= 5; i++) {
            assertThat(t.add(i, "e" + i)).isTrue();
        }
        assertThat(t.size()).isEqualTo(3);
        assertThat(t.recent(10)).extracting(Timeline.Entry::event).containsExactly("e3", "e4", "e5");
        assertThat(t.recent(2)).extracting(Timeline.Entry::event).containsExactly("e4", "e5");
        assertThat(t.since(3, 10)).extracting(Timeline.Entry::seq).containsExactly(4L, 5L);
        assertThat(t.since(5, 10)).isEmpty();
        assertThat(t.lastSeq()).isEqualTo(5);
    }

    @Test
    void ignoresWhatItHasSeenAndTellsListenersOfTheRest() {
        Timeline<String> t = new Timeline<>(10);
        List<Long> heard = new ArrayList<>();
        Runnable stop = t.listen(e -> heard.add(e.seq()));
        t.add(7, "a");
        assertThat(t.add(7, "again")).isFalse();
        assertThat(t.add(3, "older")).isFalse();
        t.add(9, "b");
        stop.run();
        t.add(10, "c");
        assertThat(heard).containsExactly(7L, 9L);
        assertThat(t.recent(10)).extracting(Timeline.Entry::event).containsExactly("a", "b", "c");
    }

    @Test
    void aTimelineHoldsThousandsWithoutGrowing() {
        Timeline<Integer> t = new Timeline<>(1000);
        for (int i = 0; i < 100_000; i++) {
            t.add(i, i);
        }
        assertThat(t.size()).isEqualTo(1000);
        assertThat(t.recent(1).get(0).event()).isEqualTo(99_999);
        assertThat(t.recent(5000)).hasSize(1000);
    }
}
