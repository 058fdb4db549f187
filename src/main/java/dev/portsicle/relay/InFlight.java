package dev.portsicle.relay;

import java.time.Duration;

/**
 * Visitor exchanges in progress (an upgraded connection counts until it closes), so a draining relay can
 * wait for them to finish before it goes.
 */
final class InFlight {
    private int count;
    private volatile boolean draining;

    synchronized void begin() {
        count++;
    }

    synchronized void end() {
        count--;
        if (count == 0) {
            notifyAll();
        }
    }

    synchronized int count() {
        return count;
    }

    boolean draining() {
        return draining;
    }

    void startDraining() {
        draining = true;
    }

    /** Waits until nothing is in flight or {@code grace} has passed; true if all finished. */
    synchronized boolean awaitIdle(Duration grace) throws InterruptedException {
        long deadline = System.nanoTime() + grace.toNanos();
        while (count > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return true;
    }
}
