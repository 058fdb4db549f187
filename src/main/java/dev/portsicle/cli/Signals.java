package dev.portsicle.cli;

import sun.misc.Signal;

/**
 * Ctrl-C and SIGTERM: the first starts a graceful stop (in flight work gets its grace period), a second
 * one exits at once.
 */
final class Signals {
    private static volatile boolean stopping;

    static void onStop(Runnable gracefulStop) {
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), signal -> {
                if (stopping) {
                    System.err.println("portsicle: stopping now");
                    LogOutput.flushNow();
                    Runtime.getRuntime().halt(130);
                }
                stopping = true;
                System.err.println("portsicle: stopping (again to stop at once)");
                Thread stopper = new Thread(() -> {
                    gracefulStop.run();
                    LogOutput.flushNow();
                    Runtime.getRuntime().halt(0);
                }, "graceful-stop");
                stopper.start();
            });
        }
    }

    private Signals() {
    }
}
