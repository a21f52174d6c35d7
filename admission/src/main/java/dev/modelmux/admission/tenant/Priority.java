package dev.modelmux.admission.tenant;

/** Priority class of a tenant's traffic: under overload SHEDDABLE is shed first, CRITICAL last. */
public enum Priority {
  CRITICAL,
  DEFAULT,
  SHEDDABLE
}
