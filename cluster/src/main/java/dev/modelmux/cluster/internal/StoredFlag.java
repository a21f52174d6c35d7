package dev.modelmux.cluster.internal;

/** An operator's flag (a drain, a pin): set since when, tagged over the map, the key and the time. */
record StoredFlag(long sinceMillis, Tag tag) {

    static StoredFlag tagged(EntryTags tags, String map, String key, long sinceMillis) {
        return new StoredFlag(sinceMillis, tags.tag(content(map, key, sinceMillis)));
    }

    /** Whether {@code raw} is a flag tagged for {@code key} of {@code map} (a forgery is counted under {@code label}). */
    static boolean trusted(EntryTags tags, String label, String map, Object key, Object raw) {
        return tags.trusted(label, key, raw, StoredFlag.class, f -> content(map, key, f.sinceMillis), StoredFlag::tag)
                != null;
    }

    static Canonical content(String map, Object key, long sinceMillis) {
        return Canonical.of(map).str(String.valueOf(key)).i64(sinceMillis);
    }
}
