package dev.modelmux.placement;

/**
 * Configuration of the {@link DevicePicker}.
 *
 * @param headroomFraction extra room a device must have beyond the model's footprint, as a
 *     fraction of it (0.1 = 10%): covers arena growth and the gap between prediction and truth
 */
public record PickerConfig(double headroomFraction) {
    public static final double DEFAULT_HEADROOM_FRACTION = 0.10;

    public PickerConfig {
        if (!(headroomFraction >= 0 && headroomFraction <= 10)) {
            throw new IllegalArgumentException("headroomFraction must be in [0, 10], was " + headroomFraction);
        }
    }

    public static PickerConfig defaults() {
        return new PickerConfig(DEFAULT_HEADROOM_FRACTION);
    }
}
