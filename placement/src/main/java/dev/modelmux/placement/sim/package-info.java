/**
 * A trace-replay simulator for single-device model caches: a seeded Zipf trace generator,
 * {@link dev.modelmux.placement.sim.Policy} implementations (the cost-aware
 * {@link dev.modelmux.placement.Evictor}, plain LRU, offline Belady) and
 * {@link dev.modelmux.placement.sim.TraceReplay}, which prints their hit ratios side by side.
 * Lives in {@code src/main} so benchmarks can drive it; nothing here reads a clock.
 */
package dev.modelmux.placement.sim;
