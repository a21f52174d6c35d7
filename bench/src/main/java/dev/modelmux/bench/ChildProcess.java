package dev.modelmux.bench;

import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A helper process of {@code bench/latency} (a client, a flooder, the wire-floor server) that the
 * bench talks to over its stdin and stdout, one line at a time; its stderr goes to a log file.
 */
final class ChildProcess implements AutoCloseable {
    private final String name;
    private final Process process;
    private final Path log;
    private final Writer stdin;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    private ChildProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    }

    static ChildProcess start(String name, List<String> command, Path log) throws IOException {
        Process p = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        ChildProcess c = new ChildProcess(name, p, log);
        Thread reader = new Thread(c::pump, "bench-stdout-" + name);
        reader.setDaemon(true);
        reader.start();
        return c;
    }

    private void pump() {
        try (BufferedReader r =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                lines.add(line);
            }
        } catch (IOException e) {
            // The process is gone.
        }
    }

    /** The next stdout line that starts with {@code prefix}, skipping others; fails if the process exits first. */
    String awaitLine(String prefix, long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (true) {
            String line = lines.poll(100, TimeUnit.MILLISECONDS);
            if (line != null && line.startsWith(prefix)) {
                return line;
            }
            if (line == null && !process.isAlive() && lines.isEmpty()) {
                throw new IllegalStateException(
                        name + " exited (" + process.exitValue() + "); its log: " + log + "\n" + tail());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(
                        name + " gave no '" + prefix + "' line within " + timeoutMs + " ms; its log: " + log);
            }
        }
    }

    /** Sends one command; returns without waiting for the answer (read it with {@link #result}). */
    void send(JsonObject command) throws IOException {
        stdin.write(command.encode());
        stdin.write('\n');
        stdin.flush();
    }

    /** The answer to the last command sent. */
    RunResult result(long timeoutMs) throws InterruptedException {
        return RunResult.parse(awaitLine("{", timeoutMs));
    }

    /** Sends one command and waits for its answer. */
    RunResult run(JsonObject command, long timeoutMs) throws IOException, InterruptedException {
        send(command);
        return result(timeoutMs);
    }

    long pid() {
        return process.pid();
    }

    private String tail() {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - 15), all.size()));
        } catch (IOException e) {
            return "(unreadable)";
        }
    }

    @Override
    public void close() {
        try {
            stdin.write("quit\n");
            stdin.close();
        } catch (IOException e) {
            // Already gone.
        }
        try {
            if (!process.waitFor(2, TimeUnit.SECONDS)) {
                process.destroy();
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
