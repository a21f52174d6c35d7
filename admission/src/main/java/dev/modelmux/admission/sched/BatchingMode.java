package dev.modelmux.admission.sched;

import java.util.Locale;
import java.util.Optional;

/**
 * Whether a model with {@code dynamic_batching} batches: the {@code batching} parameter of its
 * {@code config.pbtxt}. {@link #AUTO} (the default) lets the device's {@link BatchDecider} decide
 * from measured throughput, so batching never makes the model slower on that device; {@link #ALWAYS}
 * and {@link #NEVER} force it.
 */
public enum BatchingMode {
    AUTO,
    ALWAYS,
    NEVER;

    /** The config parameter's name. */
    public static final String PARAMETER = "batching";

    /** The mode a parameter value names ({@code auto}, {@code always}, {@code never}, any case); empty otherwise. */
    public static Optional<BatchingMode> parse(String value) {
        if (value == null) {
            return Optional.empty();
        }
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "auto" -> Optional.of(AUTO);
            case "always" -> Optional.of(ALWAYS);
            case "never" -> Optional.of(NEVER);
            default -> Optional.empty();
        };
    }

    /** The name as written in a config ({@code auto}, {@code always}, {@code never}). */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
