package dev.modelmux.bench;

import java.util.Map;
import java.util.TreeMap;

/**
 * One model's latency histogram as the node's {@code /metrics} renders it (Prometheus text: cumulative
 * {@code _bucket{...,le="x"}} counts, {@code _sum}, {@code _count}); the difference of two scrapes is
 * what happened between them.
 *
 * @param buckets cumulative count by upper bound in seconds ({@code +Inf} included)
 */
record NodeHistogram(double sum, double count, TreeMap<Double, Double> buckets) {
    /** {@code metric}'s series for {@code model} (all versions added) in a scrape. */
    static NodeHistogram parse(String scrape, String metric, String model) {
        double sum = 0;
        double count = 0;
        TreeMap<Double, Double> buckets = new TreeMap<>();
        String label = "model=\"" + model + "\"";
        for (String line : scrape.split("\n")) {
            if (!line.startsWith(metric + "_") || !line.contains(label)) {
                continue;
            }
            double v = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            if (line.startsWith(metric + "_sum{")) {
                sum += v;
            } else if (line.startsWith(metric + "_count{")) {
                count += v;
            } else if (line.startsWith(metric + "_bucket{")) {
                int at = line.indexOf("le=\"") + 4;
                String le = line.substring(at, line.indexOf('"', at));
                buckets.merge(le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le), v, Double::sum);
            }
        }
        return new NodeHistogram(sum, count, buckets);
    }

    /** What was recorded after {@code earlier}. */
    NodeHistogram minus(NodeHistogram earlier) {
        TreeMap<Double, Double> b = new TreeMap<>(buckets);
        earlier.buckets.forEach((k, v) -> b.merge(k, -v, Double::sum));
        return new NodeHistogram(sum - earlier.sum, count - earlier.count, b);
    }

    /** Mean in microseconds; NaN without records. */
    double meanMicros() {
        return count == 0 ? Double.NaN : sum / count * 1e6;
    }

    /**
     * The q-th percentile in microseconds, interpolated linearly inside the bucket it falls in (from the
     * bucket below's bound, 0 for the first); NaN without records or when it falls above the last bound.
     */
    double percentileMicros(double q) {
        if (count == 0) {
            return Double.NaN;
        }
        double target = q / 100.0 * count;
        double lower = 0;
        double below = 0;
        for (Map.Entry<Double, Double> e : buckets.entrySet()) {
            double upTo = e.getValue();
            if (upTo >= target) {
                if (Double.isInfinite(e.getKey())) {
                    return Double.NaN;
                }
                double inBucket = upTo - below;
                double frac = inBucket == 0 ? 1 : (target - below) / inBucket;
                return (lower + frac * (e.getKey() - lower)) * 1e6;
            }
            lower = e.getKey();
            below = upTo;
        }
        return Double.NaN;
    }
}
