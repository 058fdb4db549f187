package dev.portsicle.cli;

import dev.portsicle.agent.Agent;

import java.time.Duration;
import java.util.concurrent.ExecutionException;

/** Checks shared by the commands, so bad input gets a clear message instead of a stack trace. */
final class Options {
    /** How long an agent stopped by a signal lets its streams in flight finish. */
    static final Duration GRACE = Duration.ofSeconds(30);

    static void checkPort(int port, String option) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(option + " must be a port number (0-65535), not " + port);
        }
    }

    /**
     * Prints where the tunnel is ({@code label} and its URL) once bound, then runs until the agent gives up
     * for good (a definite refusal: exit code 1) or the process is stopped.
     */
    static int printAndRun(Agent agent, String label) throws InterruptedException {
        try {
            System.out.println(label + agent.publicUrl().get());
            System.out.flush();
        } catch (ExecutionException e) {
            System.err.println("portsicle: " + e.getCause().getMessage());
            return 1;
        }
        try {
            System.err.println("portsicle: " + agent.stopped().get());
        } catch (ExecutionException e) {
            System.err.println("portsicle: " + e.getCause().getMessage());
        }
        return 1;
    }

    private Options() {
    }
}
