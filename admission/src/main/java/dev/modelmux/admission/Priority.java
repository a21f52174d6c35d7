package dev.modelmux.admission;

/**
 * Priority class of a tenant's traffic. Under overload SHEDDABLE is shed first and CRITICAL last.
 * The declaration order is the shedding order (a higher ordinal is served first).
 */
public enum Priority {
    SHEDDABLE,
    DEFAULT,
    CRITICAL
}
