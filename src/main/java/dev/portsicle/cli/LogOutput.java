package dev.portsicle.cli;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;

/**
 * Standard error, where the log goes, through a buffer that is written out ten times a second and before
 * the process ends. The logger (slf4j-simple) flushes after every line, and a write per line (the agent
 * logs a line per request) cost the agent about 5% of its time under load; a person reading the log
 * does not notice a tenth of a second. So {@link #flush()} here waits for the next tick, and
 * {@link #flushNow()} is the real thing.
 */
final class LogOutput extends PrintStream {
    private static final long FLUSH_MILLIS = 100;

    private LogOutput() {
        super(new BufferedOutputStream(new FileOutputStream(FileDescriptor.err), 64 * 1024), false);
    }

    /** From now on {@link System#err} is buffered; {@link #flushNow()} before the process halts. */
    static void install() {
        LogOutput err = new LogOutput();
        System.setErr(err);
        Thread flusher = new Thread(() -> {
            try {
                while (true) {
                    Thread.sleep(FLUSH_MILLIS);
                    err.writeOut();
                }
            } catch (InterruptedException e) {
                err.writeOut();
            }
        }, "log-flush");
        flusher.setDaemon(true);
        flusher.start();
    }

    /** Writes out what System.err holds, if it is a {@code LogOutput}. */
    static void flushNow() {
        if (System.err instanceof LogOutput err) {
            err.writeOut();
        } else {
            System.err.flush();
        }
    }

    @Override
    public void flush() {
        // the next tick writes it out
    }

    private void writeOut() {
        super.flush();
    }
}
