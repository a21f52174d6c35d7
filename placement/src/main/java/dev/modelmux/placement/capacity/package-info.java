/**
 * Capacity advice as pure arithmetic: how many copies each model needs for the traffic it had and
 * the latency it showed, how much memory those copies take, and how many nodes that makes.
 *
 * <p>{@link WindowedSeries} keeps a bounded history of samples in
 * fixed-width time buckets (time passed in, any unit); {@link CapacityPlan#compute}
 * turns per-model {@link ModelDemand}s and per-node
 * {@link NodeCapacity}s into advice under a
 * {@link CapacityPolicy}. Nothing here reads a clock or does I/O.
 */
package dev.modelmux.placement.capacity;
