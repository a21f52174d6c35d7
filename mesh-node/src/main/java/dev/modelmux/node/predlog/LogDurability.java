package dev.modelmux.node.predlog;

import java.util.Locale;

/**
 * When a logged record is on disk ({@code log-durability}, or an endpoint's {@code log.durability}).
 *
 * <ul>
 *   <li>{@link #NONE}: the open segment is handed to the OS every second and fsynced only when it is
 *       closed. A crashed process loses what it had not handed over (up to about a second plus the
 *       writer's backlog); a crashed machine, what the OS had not written.
 *   <li>{@link #INTERVAL}: group commit: the open segment is handed to the OS and fsynced every
 *       {@code log-fsync-interval} (default 200 ms). A crash of the process or the machine loses at most
 *       the records of the last interval plus the writer's backlog.
 *   <li>{@link #ALWAYS}: a decision is answered only once its record is fsynced (one fsync covers
 *       every record queued meanwhile); a label post, once its labels are. Nothing acknowledged is lost.
 * </ul>
 */
public enum LogDurability {
    NONE,
    INTERVAL,
    ALWAYS;

    /** The setting's value as configured. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @param field the setting's name, for the message */
    public static LogDurability parse(String s, String field) {
        String v = s == null ? "" : s.strip().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "none" -> NONE;
            case "interval" -> INTERVAL;
            case "always" -> ALWAYS;
            default ->
                throw new IllegalArgumentException(field + ": must be none, interval or always, was '" + s + "'");
        };
    }
}
