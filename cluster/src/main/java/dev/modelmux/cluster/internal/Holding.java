package dev.modelmux.cluster.internal;

import dev.modelmux.cluster.Copy;
import dev.modelmux.cluster.ModelKey;

/** One copy a node reports holding, with its version key: the unit a reassert carries. */
record Holding(ModelKey key, Copy copy) {}
