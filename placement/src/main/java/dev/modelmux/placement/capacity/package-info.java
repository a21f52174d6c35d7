/**
 * Capacity advice as pure arithmetic: how many copies each model needs for the traffic it had and
 * the latency it showed, how much memory those copies take, and how many nodes that makes.
 *
 * <p>{@link dev.modelmux.placement.capacity.WindowedSeries} keeps a bounded history of samples in
 * fixed-width time buckets (time passed in, any unit); {@link dev.modelmux.placement.capacity.CapacityPlan#compute}
 * turns per-model {@link dev.modelmux.placement.capacity.ModelDemand}s and per-node
 * {@link dev.modelmux.placement.capacity.NodeCapacity}s into advice under a
 * {@link dev.modelmux.placement.capacity.CapacityPolicy}. Nothing here reads a clock or does I/O.
 */
package dev.modelmux.placement.capacity;
