package dev.modelmux.node.internal;

import dev.modelmux.gpu.InferenceResult;
import dev.modelmux.gpu.Lease;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * The data plane shared by gRPC and REST: resolve the model version (loading it if needed),
 * check the request against its signature, run it on the device, answer, record metrics.
 * Runs on the event loop except the inference itself, which the pool runs on a device thread.
 */
public final class InferencePath {
  private final Vertx vertx;
  private final ModelManager models;
  private final NodeMetrics metrics;
  private final LongSupplier nanoClock;

  public InferencePath(Vertx vertx, ModelManager models, NodeMetrics metrics, LongSupplier nanoClock) {
    this.vertx = vertx;
    this.models = models;
    this.metrics = metrics;
    this.nanoClock = nanoClock;
  }

  /** The answer to one request. */
  public record Answer(String model, long version, String id, InferenceResult result) {}

  public Future<Answer> infer(InferRequest req, String protocol, long startNanos) {
    Context ctx = vertx.getOrCreateContext();
    Future<Lease> lease;
    try {
      lease = models.acquire(req.model(), req.version());
    } catch (RuntimeException e) {
      return failed(protocol, req, startNanos, e);
    }
    return lease.compose(l -> {
      Set<String> outputs;
      try {
        outputs = InputValidator.validate(l.model(), req);
      } catch (RuntimeException e) {
        l.close();
        return Future.failedFuture(e);
      }
      return Future.fromCompletionStage(l.run(req.inputs(), outputs), ctx)
          .andThen(ar -> l.close())
          .map(r -> new Answer(l.model().key().model(), l.model().key().version(), req.id(), r));
    }).andThen(ar -> {
      if (ar.succeeded()) {
        Answer a = ar.result();
        metrics.request(protocol, a.model(), Long.toString(a.version()), "success", nanoClock.getAsLong() - startNanos,
            a.result().queueNanos(), a.result().computeNanos());
      } else {
        record(protocol, req, startNanos, ar.cause());
      }
    }).recover(t -> Future.failedFuture(ServingException.of(t)));
  }

  private Future<Answer> failed(String protocol, InferRequest req, long startNanos, Throwable t) {
    record(protocol, req, startNanos, t);
    return Future.failedFuture(ServingException.of(t));
  }

  private void record(String protocol, InferRequest req, long startNanos, Throwable t) {
    ServingException se = ServingException.of(t);
    boolean known = se.code() != ServingException.Code.NOT_FOUND && dev.modelmux.repo.ModelNames.isValid(req.model())
        && models.knows(req.model());
    metrics.request(protocol, known ? req.model() : NodeMetrics.UNKNOWN_MODEL, "",
        se.code().label(), nanoClock.getAsLong() - startNanos, 0, 0);
  }
}
