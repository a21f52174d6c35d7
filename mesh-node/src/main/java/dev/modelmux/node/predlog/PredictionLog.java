package dev.modelmux.node.predlog;

/**
 * PLACEHOLDER (branch endpoints): the signature agreed with the features-log branch, which owns
 * this type; its real version replaces this file at merge.
 */
public interface PredictionLog extends AutoCloseable {
  /** Never blocks; false (and counted) when the bounded buffer is full. */
  boolean append(PredictionRecord r);

  /** Flushes everything appended before, then closes. */
  @Override
  void close();
}
