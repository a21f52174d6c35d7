package dev.modelmux.placement.sim.internal;

import dev.modelmux.placement.ModelKey;
import dev.modelmux.placement.ModelSpec;
import dev.modelmux.placement.sim.Access;
import dev.modelmux.placement.sim.Trace;
import dev.modelmux.placement.sim.TraceConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.SplittableRandom;

/**
 * Zipf popularity by inverse-CDF sampling: rank {@code k} (1-based) has weight {@code k^-skew};
 * ranks are assigned to models by a seeded shuffle, so size and popularity are independent.
 */
public final class ZipfTraceGenerator {
    private ZipfTraceGenerator() {}

    public static Trace generate(TraceConfig c) {
        var random = new SplittableRandom(c.seed());
        var keys = new ModelKey[c.models()];
        var specs = new HashMap<ModelKey, ModelSpec>();
        for (int i = 0; i < c.models(); i++) {
            keys[i] = ModelKey.of("m" + i, 1);
            long size = random.nextLong(c.minBytes(), c.maxBytes() + 1);
            long load = (long) ((double) size / TraceConfig.MIB * c.loadNanosPerMiB());
            specs.put(keys[i], ModelSpec.of(keys[i], size).withMeasured(size, load));
        }
        shuffle(keys, random);
        double[] cdf = new double[c.models()];
        double sum = 0;
        for (int k = 0; k < c.models(); k++) {
            sum += Math.pow(k + 1, -c.skew());
            cdf[k] = sum;
        }
        var accesses = new ArrayList<Access>(c.accesses());
        long now = 0;
        for (int i = 0; i < c.accesses(); i++) {
            now += (long) (-c.meanGapNanos() * Math.log(1 - random.nextDouble()));
            int rank = Arrays.binarySearch(cdf, random.nextDouble() * sum);
            rank = Math.min(rank >= 0 ? rank : -rank - 1, c.models() - 1);
            ModelSpec m = specs.get(keys[rank]);
            accesses.add(new Access(m.key(), m.footprintBytes(), m.loadNanos(), now));
        }
        return new Trace(accesses, specs);
    }

    private static void shuffle(ModelKey[] keys, SplittableRandom random) {
        for (int i = keys.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            ModelKey t = keys[i];
            keys[i] = keys[j];
            keys[j] = t;
        }
    }
}
