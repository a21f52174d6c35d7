/**
 * A trace-replay simulator for single-device model caches: a seeded Zipf trace generator,
 * {@link Policy} implementations (the cost-aware
 * {@link Evictor}, plain LRU, offline Belady) and
 * {@link TraceReplay}, which prints their hit ratios side by side.
 * Lives in {@code src/main} so benchmarks can drive it; nothing here reads a clock.
 */
package dev.modelmux.placement.sim;

import dev.modelmux.placement.Evictor;
