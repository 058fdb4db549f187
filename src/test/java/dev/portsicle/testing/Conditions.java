package dev.portsicle.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

/** Waiting on a condition with a deadline, instead of sleeping and hoping. */
public final class Conditions {
    private static final long POLL_MILLIS = 20;
    /** How long a log line may trail what it tells of, with room for a loaded machine. */
    private static final Duration LOG_DELAY = Duration.ofSeconds(5);

    /** A condition to poll; it may throw (a refused connection is just "not yet"). */
    public interface Check {
        boolean holds() throws Exception;
    }

    /**
     * Polls {@code check} until it holds and returns how long that took; fails naming {@code what} and
     * the last exception seen if {@code timeout} passes first.
     */
    public static Duration await(String what, Duration timeout, Check check) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        Exception last = null;
        while (true) {
            try {
                if (check.holds()) {
                    return Duration.ofNanos(System.nanoTime() - start);
                }
            } catch (Exception e) {
                last = e;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeout + ": " + what
                                         + (last == null ? "" : " (last: " + last + ")"));
            }
            Thread.sleep(POLL_MILLIS);
        }
    }

    /** Calls {@code call} until it returns without throwing, within {@code timeout}; returns its value. */
    public static <T> T eventually(String what, Duration timeout, Callable<T> call) throws InterruptedException {
        Object[] result = new Object[1];
        await(what, timeout, () -> {
            result[0] = call.call();
            return true;
        });
        @SuppressWarnings("unchecked")
        T value = (T) result[0];
        return value;
    }

    /**
     * Waits until the log file {@code log} says {@code text}: a Portsicle process writes its log out ten
     * times a second, so a line may come a moment after what it tells of.
     */
    public static void awaitLog(Path log, String text) throws InterruptedException {
        await(log.getFileName() + " says \"" + text + "\"", LOG_DELAY, () -> Files.readString(log).contains(text));
    }

    private Conditions() {
    }
}
