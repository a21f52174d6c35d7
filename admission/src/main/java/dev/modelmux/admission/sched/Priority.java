package dev.modelmux.admission.sched;

/**
 * Request priority as the scheduler sees it. Declared in shed order: {@link #SHEDDABLE} is shed
 * first, {@link #CRITICAL} last. (A local copy; the tenant package may own the canonical one later.)
 */
public enum Priority {
  SHEDDABLE,
  DEFAULT,
  CRITICAL
}
