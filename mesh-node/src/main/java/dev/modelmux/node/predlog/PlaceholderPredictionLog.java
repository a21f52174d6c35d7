package dev.modelmux.node.predlog;

import java.util.concurrent.atomic.AtomicLong;

/**
 * PLACEHOLDER (branch endpoints), deleted at merge: the features-log branch brings the real,
 * file-backed log. This one only counts what it is given.
 */
public final class PlaceholderPredictionLog implements PredictionLog {
  private final AtomicLong appended = new AtomicLong();

  @Override
  public boolean append(PredictionRecord r) {
    appended.incrementAndGet();
    return true;
  }

  public long appended() {
    return appended.get();
  }

  @Override
  public void close() {}
}
