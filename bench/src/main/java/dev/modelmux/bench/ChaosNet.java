package dev.modelmux.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Where the chaos run's three nodes live. With {@link #namespaces} (root on Linux), each node gets
 * its own network namespace with two links: {@code eth0} on a <em>mesh</em> bridge (Hazelcast and
 * forwarded requests; the root namespace has no address there, so nothing it routes can bypass a
 * cut) and {@code eth1} on a <em>client</em> bridge where the harness (address {@code .254}) reaches
 * every node. A partition takes a node's mesh link down: its packets are dropped, nobody gets a
 * reset, and the client still reaches both sides. Without privileges, {@link #loopback} puts every
 * node on 127.0.0.1 and only the process faults are possible. {@link #close} removes everything it
 * made, and a shutdown hook does the same on Ctrl-C.
 */
final class ChaosNet implements AutoCloseable {
    private final String prefix;
    private final String meshNet;
    private final String clientNet;
    private final boolean namespaces;
    private final List<Path> mounts = new ArrayList<>();
    private volatile boolean closed;

    private ChaosNet(String prefix, int subnet, boolean namespaces) {
        this.prefix = prefix;
        this.meshNet = "10.213." + subnet + ".";
        this.clientNet = "10.214." + subnet + ".";
        this.namespaces = namespaces;
    }

    /** The nodes on loopback: no network faults. */
    static ChaosNet loopback() {
        return new ChaosNet("", 0, false);
    }

    /**
     * Three namespaces, two bridges, six veth pairs; names carry this process's id so that two runs
     * never clash, and leftovers of a run that was killed with {@code kill -9} are removed first.
     */
    static ChaosNet namespaces() throws IOException, InterruptedException {
        long pid = ProcessHandle.current().pid();
        String prefix = "mmc" + (pid % 100000);
        ChaosNet net = new ChaosNet(prefix, (int) (pid % 250) + 1, true);
        net.removeStale();
        Runtime.getRuntime().addShutdownHook(new Thread(net::close, "chaos-net-cleanup"));
        net.create();
        return net;
    }

    /**
     * Why network namespaces cannot be used here, or null when they can: root, {@code ip} and a
     * trial namespace that can be created and deleted.
     */
    static String whyNoNamespaces() {
        if (!System.getProperty("os.name", "").toLowerCase().contains("linux")) {
            return "not Linux";
        }
        try {
            Process id =
                    new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
            String uid = new String(id.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            id.waitFor(5, TimeUnit.SECONDS);
            if (!"0".equals(uid)) {
                return "not root (uid " + uid + "): network namespaces, veth and tmpfs need root";
            }
            String trial = "mmcprobe" + (ProcessHandle.current().pid() % 100000);
            String out = run(List.of("ip", "netns", "add", trial), true);
            if (out != null) {
                return "ip netns add failed: " + out.trim();
            }
            run(List.of("ip", "netns", "del", trial), true);
            return null;
        } catch (IOException | InterruptedException e) {
            return "cannot run ip: " + e.getMessage();
        }
    }

    boolean isolated() {
        return namespaces;
    }

    /** The name of node i's namespace (0-based). */
    String namespace(int i) {
        return prefix + "-n" + (i + 1);
    }

    /** Where node i binds Hazelcast and where peers reach its gRPC port. */
    String meshAddress(int i) {
        return namespaces ? meshNet + (i + 1) : "127.0.0.1";
    }

    /** Where the client reaches node i. */
    String clientAddress(int i) {
        return namespaces ? clientNet + (i + 1) : "127.0.0.1";
    }

    /** The command prefix that runs a program inside node i's namespace (empty on loopback). */
    List<String> exec(int i) {
        return namespaces ? List.of("ip", "netns", "exec", namespace(i)) : List.of();
    }

    private String bridge(String kind) {
        return prefix + kind;
    }

    private String hostVeth(String kind, int i) {
        return prefix + kind + (i + 1);
    }

    private void create() throws IOException, InterruptedException {
        for (String kind : List.of("m", "c")) {
            sh("ip", "link", "add", bridge(kind), "type", "bridge");
            sh("ip", "link", "set", bridge(kind), "up");
        }
        sh("ip", "addr", "add", clientNet + "254/24", "dev", bridge("c"));
        for (int i = 0; i < 3; i++) {
            String ns = namespace(i);
            sh("ip", "netns", "add", ns);
            sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up");
            link(i, "m", "eth0", meshAddress(i));
            link(i, "c", "eth1", clientAddress(i));
        }
    }

    private void link(int i, String kind, String inside, String address) throws IOException, InterruptedException {
        String host = hostVeth(kind, i);
        String peer = host + "p";
        String ns = namespace(i);
        sh("ip", "link", "add", host, "type", "veth", "peer", "name", peer);
        sh("ip", "link", "set", peer, "netns", ns);
        sh("ip", "netns", "exec", ns, "ip", "link", "set", peer, "name", inside);
        sh("ip", "netns", "exec", ns, "ip", "addr", "add", address + "/24", "dev", inside);
        sh("ip", "netns", "exec", ns, "ip", "link", "set", inside, "up");
        sh("ip", "link", "set", host, "master", bridge(kind));
        sh("ip", "link", "set", host, "up");
    }

    /** Cuts node i off from the other nodes: its mesh link goes down, packets are dropped, no reset. */
    void partition(int i) throws IOException, InterruptedException {
        sh("ip", "link", "set", hostVeth("m", i), "down");
    }

    /** Undoes {@link #partition}. */
    void heal(int i) throws IOException, InterruptedException {
        sh("ip", "link", "set", hostVeth("m", i), "up");
    }

    /**
     * Makes node i's links slow and lossy: {@code tc netem} delay and loss on both of its links
     * when the kernel has netem; else, loss only with iptables' {@code statistic} match when
     * iptables is there. Returns what was applied, or throws with why nothing could be.
     */
    String slowLink(int i, int delayMs, int lossPercent) throws IOException, InterruptedException {
        List<String> ns = exec(i);
        String netem = null;
        for (String dev : List.of("eth0", "eth1")) {
            List<String> cmd = new ArrayList<>(ns);
            cmd.addAll(List.of(
                    "tc",
                    "qdisc",
                    "add",
                    "dev",
                    dev,
                    "root",
                    "netem",
                    "delay",
                    delayMs + "ms",
                    "loss",
                    lossPercent + "%"));
            netem = run(cmd, true);
            if (netem != null) {
                break;
            }
        }
        if (netem == null) {
            return delayMs + " ms delay and " + lossPercent + "% loss (tc netem) on both links";
        }
        clearSlowLink(i);
        String ipt = null;
        for (String chain : List.of("INPUT", "OUTPUT")) {
            List<String> cmd = new ArrayList<>(ns);
            cmd.addAll(List.of(
                    "iptables",
                    "-A",
                    chain,
                    "-m",
                    "statistic",
                    "--mode",
                    "random",
                    "--probability",
                    Double.toString(lossPercent / 100.0),
                    "-j",
                    "DROP"));
            ipt = run(cmd, true);
            if (ipt != null) {
                break;
            }
        }
        if (ipt == null) {
            return lossPercent + "% loss each way (iptables statistic); no delay: tc netem failed (" + netem.trim()
                    + ")";
        }
        clearSlowLink(i);
        throw new IOException("neither tc netem (" + netem.trim() + ") nor iptables (" + ipt.trim() + ") works here");
    }

    /** Undoes {@link #slowLink}. */
    void clearSlowLink(int i) throws IOException, InterruptedException {
        for (String dev : List.of("eth0", "eth1")) {
            List<String> cmd = new ArrayList<>(exec(i));
            cmd.addAll(List.of("tc", "qdisc", "del", "dev", dev, "root"));
            run(cmd, true);
        }
        List<String> cmd = new ArrayList<>(exec(i));
        cmd.addAll(List.of("iptables", "-F"));
        run(cmd, true);
    }

    /** Mounts a tmpfs of {@code mib} MiB on {@code dir} (root only); unmounted by {@link #close}. */
    void mountTmpfs(Path dir, int mib) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        sh("mount", "-t", "tmpfs", "-o", "size=" + mib + "m", "tmpfs", dir.toString());
        mounts.add(dir);
    }

    private void removeStale() throws InterruptedException {
        // A run killed with kill -9 leaves its namespaces and bridges; its pid is gone now.
        try {
            String list = runOut(List.of("ip", "-o", "link", "show"));
            for (String line : list.split("\n")) {
                String[] parts = line.split(":\\s+");
                if (parts.length > 1) {
                    String name = parts[1].split("@")[0];
                    if (name.matches("mmc\\d+[mc]\\d?") && !name.startsWith(prefix)) {
                        long owner = Long.parseLong(name.replaceAll("^mmc(\\d+).*$", "$1"));
                        if (ProcessHandle.of(owner).isEmpty()) {
                            run(List.of("ip", "link", "del", name), true);
                        }
                    }
                }
            }
            for (String line : runOut(List.of("ip", "netns", "list")).split("\n")) {
                String name = line.split(" ")[0];
                if (name.matches("mmc\\d+-n\\d") && !name.startsWith(prefix + "-")) {
                    long owner = Long.parseLong(name.replaceAll("^mmc(\\d+)-.*$", "$1"));
                    if (ProcessHandle.of(owner).isEmpty()) {
                        run(List.of("ip", "netns", "del", name), true);
                    }
                }
            }
        } catch (IOException e) {
            // Nothing stale could be listed; creating will say what is wrong.
        }
    }

    /** Removes the namespaces (their veth ends go with them), the bridges and the mounts; idempotent. */
    @Override
    public synchronized void close() {
        if (closed || !namespaces) {
            closed = true;
            return;
        }
        closed = true;
        try {
            for (Path m : mounts) {
                run(List.of("umount", "-l", m.toString()), true);
            }
            for (int i = 0; i < 3; i++) {
                run(List.of("ip", "netns", "del", namespace(i)), true);
            }
            for (String kind : List.of("m", "c")) {
                for (int i = 0; i < 3; i++) {
                    run(List.of("ip", "link", "del", hostVeth(kind, i)), true);
                }
                run(List.of("ip", "link", "del", bridge(kind)), true);
            }
        } catch (IOException | InterruptedException e) {
            System.err.println("chaos: cleanup incomplete: " + e.getMessage());
        }
    }

    private static void sh(String... cmd) throws IOException, InterruptedException {
        String err = run(List.of(cmd), false);
        if (err != null) {
            throw new IOException(String.join(" ", cmd) + ": " + err.trim());
        }
    }

    /** Runs {@code cmd}; null when it exits 0, else its output. */
    private static String run(List<String> cmd, boolean quiet) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return "timed out";
        }
        return p.exitValue() == 0 ? null : (out.isEmpty() ? "exit " + p.exitValue() : out);
    }

    private static String runOut(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(30, TimeUnit.SECONDS);
        return out;
    }
}
