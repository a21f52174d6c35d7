package dev.modelmux.node;

import static dev.modelmux.node.Requests.fp32;
import static dev.modelmux.node.Requests.ramp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.modelmux.gpu.InferenceResult;
import dev.modelmux.gpu.Lease;
import dev.modelmux.gpu.ModelKey;
import dev.modelmux.gpu.TensorData;
import dev.modelmux.node.catalog.ControlMode;
import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import dev.modelmux.repo.DataType;
import io.vertx.core.Future;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stopping a node lets in-flight work finish, then closes the sessions and the ports. */
class ShutdownTest {
    @TempDir
    Path tmp;

    @Test
    void inFlightWorkFinishesAfterShutdownBegins() throws Exception {
        TestRepo repo = new TestRepo(tmp.resolve("repo")).mlp("m", 1, 16, 4, 50_000, 1);
        NodeFixture f = NodeFixture.start(repo.root, tmp.resolve("data"), 256L << 20, ControlMode.POLL);
        f.client
                .call(GRPCInferenceServiceGrpcClient.ModelInfer, fp32("m", "input", ramp(16, 1f), 1, 16))
                .ok();
        int port = f.node.grpcPort();
        Lease inFlight = f.node.pool().tryAcquire(new ModelKey("m", 1)).orElseThrow();
        f.client.close();

        Future<Void> closing = f.node.close();
        ByteBuffer x = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        InferenceResult r = inFlight.run(
                        List.of(TensorData.ofRaw("input", DataType.FP32, new long[] {1, 16}, x)), Set.of("output"))
                .get(60, TimeUnit.SECONDS);
        assertThat(r.outputs())
                .singleElement()
                .satisfies(t -> assertThat(t.shape()).containsExactly(1, 4));
        assertThat(closing.isComplete()).isFalse();
        inFlight.close();
        NodeFixture.await(closing);

        assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).isInstanceOf(ConnectException.class);
    }
}
