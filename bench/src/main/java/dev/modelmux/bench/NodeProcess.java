package dev.modelmux.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One {@code modelmux serve} process started from the built jar. Its stdout and stderr go to a log
 * file; a reader thread picks out the ports it printed and the Hazelcast member count it logged.
 * {@link #kill} is {@code kill -9}; {@link #close} asks it to stop (SIGTERM) and kills it when it
 * has not stopped within a few seconds.
 */
final class NodeProcess implements AutoCloseable {
    private static final Pattern SERVING =
            Pattern.compile("modelmux serving: gRPC localhost:(\\d+), REST http://localhost:(\\d+)");
    private static final Pattern MEMBERS = Pattern.compile("Members \\{size:(\\d+)");
    private static final int TAIL_LINES = 20;

    final String id;
    final int clusterPort;
    private final Process process;
    private final Path log;
    private final Deque<String> tail = new ArrayDeque<>();
    private volatile int grpcPort = -1;
    private volatile int httpPort = -1;
    private volatile int members;
    private volatile long membersChangedNanos;

    private NodeProcess(String id, int clusterPort, Process process, Path log) {
        this.id = id;
        this.clusterPort = clusterPort;
        this.process = process;
        this.log = log;
    }

    /** Starts {@code command}, writing its output to {@code log}. */
    static NodeProcess start(String id, int clusterPort, List<String> command, Path log) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        NodeProcess n = new NodeProcess(id, clusterPort, p, log);
        Thread reader = new Thread(n::pump, "bench-log-" + id);
        reader.setDaemon(true);
        reader.start();
        return n;
    }

    private void pump() {
        try (BufferedReader r =
                        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                Writer w = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null) {
                w.write(line);
                w.write('\n');
                w.flush();
                synchronized (tail) {
                    tail.addLast(line);
                    if (tail.size() > TAIL_LINES) {
                        tail.removeFirst();
                    }
                }
                Matcher s = SERVING.matcher(line);
                if (s.find()) {
                    httpPort = Integer.parseInt(s.group(2));
                    grpcPort = Integer.parseInt(s.group(1));
                }
                Matcher m = MEMBERS.matcher(line);
                if (m.find()) {
                    members = Integer.parseInt(m.group(1));
                    membersChangedNanos = System.nanoTime();
                }
            }
        } catch (IOException e) {
            // The process is gone; its log ends here.
        }
    }

    /** Waits until the node printed its ports; fails with the log's tail if it exits or takes too long. */
    void awaitServing(long timeoutMs) throws InterruptedException {
        awaitUntil(() -> grpcPort > 0, timeoutMs, "starting to serve");
    }

    /** Waits until Hazelcast logged a cluster of {@code n} members on this node. */
    void awaitMembers(int n, long timeoutMs) throws InterruptedException {
        awaitUntil(() -> members == n, timeoutMs, "seeing " + n + " members");
    }

    private void awaitUntil(BooleanSupplier done, long timeoutMs, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!done.getAsBoolean()) {
            if (!process.isAlive()) {
                throw new IllegalStateException("node " + id + " exited (" + process.exitValue() + ") before " + what
                        + "; log " + log + ":\n" + tail());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        "node " + id + " took over " + timeoutMs + " ms " + what + "; log " + log + ":\n" + tail());
            }
            Thread.sleep(50);
        }
    }

    int grpcPort() {
        return grpcPort;
    }

    int httpPort() {
        return httpPort;
    }

    /** Members in the last Hazelcast membership line this node logged. */
    int members() {
        return members;
    }

    /** {@link System#nanoTime()} when this node last logged a membership change. */
    long membersChangedNanos() {
        return membersChangedNanos;
    }

    /** The process id (for reading its memory from /proc, or to pause it with SIGSTOP and SIGCONT). */
    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    Path log() {
        return log;
    }

    String tail() {
        synchronized (tail) {
            return String.join("\n", new ArrayList<>(tail));
        }
    }

    /** {@code kill -9}: the process gets no chance to leave the cluster or drain. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** Asks the node to stop (SIGTERM); kills it if it is still running 10 s later. */
    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /**
     * SIGTERM, then waits up to {@code timeoutMs} for the node to drain and exit; kills it after that.
     * Returns the exit status, or -1 when it had to be killed.
     */
    int stop(long timeoutMs) throws InterruptedException {
        if (!process.isAlive()) {
            return process.exitValue();
        }
        process.destroy();
        if (process.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
            return process.exitValue();
        }
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
        return -1;
    }

    /** Kills without waiting; for the JVM's shutdown hook. */
    void destroyNow() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }
}
