/**
 * Admission control for tenants: who is calling, may they call this model, are they within their
 * quota; and the per-device scheduling of what was admitted (weighted fair queuing, adaptive
 * concurrency, shedding by priority, dynamic batching, deadlines). Pure Java: time is passed in.
 */
package dev.modelmux.admission;
