package dev.modelmux.cluster.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.cluster.SharedDocument;
import org.junit.jupiter.api.Test;

/** After a split brain heals, every member keeps the same version of a document. */
class DocumentMergePolicyTest {

    @Test
    void higherVersionWinsThenTheLaterWriteThenTheGreaterWriter() {
        SharedDocument v2 = new SharedDocument("d", 2, "two", "a", 100, "");
        SharedDocument v3 = new SharedDocument("d", 3, "three", "a", 50, "");
        SharedDocument v3later = new SharedDocument("d", 3, "three-later", "b", 60, "");
        SharedDocument v3sameTimeB = new SharedDocument("d", 3, "three-b", "b", 50, "");

        assertThat(DocumentMergePolicy.winner(v2, v3)).isSameAs(v3);
        assertThat(DocumentMergePolicy.winner(v3, v2)).isSameAs(v3);
        assertThat(DocumentMergePolicy.winner(v3, v3later)).isSameAs(v3later);
        assertThat(DocumentMergePolicy.winner(v3later, v3)).isSameAs(v3later);
        assertThat(DocumentMergePolicy.winner(v3, v3sameTimeB)).isSameAs(v3sameTimeB);
        assertThat(DocumentMergePolicy.winner(v3sameTimeB, v3)).isSameAs(v3sameTimeB);
        assertThat(DocumentMergePolicy.winner(null, v2)).isSameAs(v2);
        assertThat(DocumentMergePolicy.winner(v2, null)).isSameAs(v2);
    }
}
