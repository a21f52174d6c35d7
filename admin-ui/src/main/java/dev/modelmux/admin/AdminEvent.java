package dev.modelmux.admin;

import java.util.Objects;

/**
 * One entry of the mesh's event timeline as the operators see it: loads, failures, evictions,
 * unloads, joins, leaves, drains, pins, moves and operators' requests.
 *
 * @param seq the shared log's sequence number
 * @param kind the event's kind ({@code LOADED}, {@code LOAD_FAILED}, {@code JOINED}...)
 * @param actor who caused it ({@code admin} or {@code mesh})
 * @param device empty when not about a device
 * @param model empty when not about a model
 * @param version 0 when not about a version
 * @param bytes 0 when not about memory
 * @param millis how long it took (a load), 0 when not measured
 * @param detail empty when there is nothing more to say
 */
public record AdminEvent(
        long seq,
        long atMillis,
        String kind,
        String node,
        String actor,
        String device,
        String model,
        long version,
        long bytes,
        long millis,
        String detail) {
    public AdminEvent {
        Objects.requireNonNull(kind, "kind");
        node = node == null ? "" : node;
        actor = actor == null ? "" : actor;
        device = device == null ? "" : device;
        model = model == null ? "" : model;
        detail = detail == null ? "" : detail;
    }
}
