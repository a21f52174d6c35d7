package dev.modelmux.placement;

import java.util.List;

/**
 * Copies to evict from one device, all together.
 *
 * @param victims in the order chosen (cheapest first)
 * @param freedBytes sum of the victims' bytes
 * @param cost the victims' expected reload time per second of wall time, summed (Σ rate × load
 *     seconds): the price of this eviction; lower is cheaper
 */
public record Eviction(List<CopyView> victims, long freedBytes, double cost) {
    public Eviction {
        victims = List.copyOf(victims);
    }

    public static Eviction none() {
        return new Eviction(List.of(), 0, 0);
    }
}
