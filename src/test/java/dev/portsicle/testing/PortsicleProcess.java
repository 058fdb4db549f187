package dev.portsicle.testing;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The real {@code ./portsicle} launcher as a child process, its stdout watched for the public URL and
 * its memory read from /proc. Destroyed by {@link #close()}.
 */
public final class PortsicleProcess implements AutoCloseable {
    private final Process process;
    private final CompletableFuture<String> publicUrl = new CompletableFuture<>();
    private final List<String> output = new ArrayList<>();

    private PortsicleProcess(Process process) {
        this.process = process;
        Thread reader = new Thread(this::readOutput, "portsicle-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** Runs {@code ./portsicle args...} from the repository root; stderr goes to {@code log}. */
    public static PortsicleProcess start(Path log, String... args) throws IOException {
        return start(log, Map.of(), args);
    }

    /** The same, with {@code env} added to the environment (PORTSICLE_TOKEN, say). */
    public static PortsicleProcess start(Path log, Map<String, String> env, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(new File("portsicle").getAbsolutePath());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.to(log.toFile()));
        builder.environment().putAll(env);
        return new PortsicleProcess(builder.start());
    }

    /** The exit code once the process ended, or null if it still runs after {@code timeout}. */
    public Integer awaitExit(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : null;
    }

    /** A port that was free a moment ago, for a relay's --port. */
    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private void readOutput() {
        try (BufferedReader lines = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                synchronized (output) {
                    output.add(line);
                }
                if (line.startsWith("Your public url: ")) {
                    publicUrl.complete(line.substring("Your public url: ".length()).trim());
                }
            }
        } catch (IOException e) {
            // the process ended
        }
        publicUrl.completeExceptionally(new IllegalStateException("agent ended without a public url: " + output));
    }

    public String awaitPublicUrl(Duration timeout) throws Exception {
        return publicUrl.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Waits until something accepts connections on {@code port} (the relay is up). */
    public static void awaitListening(int port, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                Thread.sleep(50);
            }
        }
        throw new AssertionError("nothing listening on port " + port + " after " + timeout);
    }

    /** Resident memory of the JVM (the launcher execs java, so the pid is the JVM's), in bytes. */
    public long rssBytes() throws IOException {
        return statusField("VmRSS:");
    }

    /** Peak resident memory so far, in bytes. */
    public long peakRssBytes() throws IOException {
        return statusField("VmHWM:");
    }

    private long statusField(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]) * 1024;
            }
        }
        throw new IOException(field + " not found for pid " + process.pid());
    }

    /** Sends {@code signal} (e.g. "STOP", "CONT") to the process, with kill(1). */
    public void signal(String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IOException("kill -" + signal + " " + process.pid() + " failed");
        }
    }

    /** kill -9: the process ends at once, with no chance to say goodbye to anyone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public long pid() {
        return process.pid();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            try {
                signal("CONT"); // a stopped process would hold its SIGTERM until continued
            } catch (IOException e) {
                // it ended meanwhile
            }
        }
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }
}
