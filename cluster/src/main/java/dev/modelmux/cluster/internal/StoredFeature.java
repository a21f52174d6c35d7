package dev.modelmux.cluster.internal;

import dev.modelmux.cluster.FeatureValue;

/** One feature value as stored: the value, when it was written, and a tag over both and the key. */
record StoredFeature(double value, long updatedAtMillis, Tag tag) {

    static StoredFeature tagged(EntryTags tags, String key, double value, long updatedAtMillis) {
        return new StoredFeature(value, updatedAtMillis, tags.tag(content(key, value, updatedAtMillis)));
    }

    /** The value at {@code key} if {@code raw} is one tagged for it, else null (counted). */
    static FeatureValue trusted(EntryTags tags, Object key, Object raw) {
        StoredFeature s = tags.trusted(
                Forgeries.FEATURES,
                key,
                raw,
                StoredFeature.class,
                v -> content(key, v.value, v.updatedAtMillis),
                StoredFeature::tag);
        return s == null || !Double.isFinite(s.value) ? null : new FeatureValue(s.value, s.updatedAtMillis);
    }

    static Canonical content(Object key, double value, long updatedAtMillis) {
        return Canonical.of(HazelcastConfigs.FEATURES_MAP)
                .str(String.valueOf(key))
                .f64(value)
                .i64(updatedAtMillis);
    }
}
