/**
 * Placement decisions for the mesh, as pure functions of a cluster snapshot.
 *
 * <p>The caller builds a {@link ClusterView} from cluster state (nodes,
 * devices and their memory, copies of models and their use) and a catalog of
 * {@link ModelSpec}s, passes the current time in, and gets back decisions:
 * {@link DevicePicker} (where one new copy goes),
 * {@link CopyScaler} (how many copies each model needs),
 * {@link Evictor} (what to evict to make room) and
 * {@link Rebalancer} (what to do when nodes join or leave). Nothing here
 * reads a clock, does I/O or keeps state between calls; executing the returned
 * {@link Action}s is the cluster's job.
 *
 * <p>Memory is always {@code long} bytes. A copy's bytes are counted in its device's
 * {@code usedBytes} (or {@code reservedBytes} while it loads); evicting a copy frees its bytes.
 */
package dev.modelmux.placement;
