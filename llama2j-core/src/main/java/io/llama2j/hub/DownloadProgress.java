package io.llama2j.hub;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A one-line progress bar for a download, redrawn in place with '\r' on stderr at most every
 * {@link #REDRAW_INTERVAL_NANOS}: name, percentage, bar, bytes done of total and speed.
 */
final class DownloadProgress {
    private static final long REDRAW_INTERVAL_NANOS = 200_000_000L;
    private static final int BAR_WIDTH = 30;
    private static final double MIB = 1024.0 * 1024.0;

    private final PrintWriter out;
    private final String name;
    private final long total;
    private final long startBytes;
    private final long startNanos = System.nanoTime();
    private long lastDraw;

    /** {@code out} may be null (no bar); {@code total} may be unknown (negative); {@code startBytes} were already there. */
    DownloadProgress(PrintWriter out, String name, long total, long startBytes) {
        this.out = out;
        this.name = name;
        this.total = total;
        this.startBytes = startBytes;
    }

    void update(long done) {
        if (out == null) return;
        long now = System.nanoTime();
        if (now - lastDraw < REDRAW_INTERVAL_NANOS) return;
        lastDraw = now;
        draw(done, now);
    }

    void finish(long done) {
        if (out == null) return;
        draw(done, System.nanoTime());
        out.println();
        out.flush();
    }

    private void draw(long done, long now) {
        double seconds = Math.max(1e-9, (now - startNanos) / 1e9);
        String speed = String.format(Locale.ROOT, "%.1f MiB/s", (done - startBytes) / MIB / seconds);
        if (total > 0) {
            double fraction = Math.min(1.0, (double) done / total);
            int filled = (int) Math.round(fraction * BAR_WIDTH);
            out.print(String.format(Locale.ROOT, "\r%s %3d%% [%s%s] %.1f/%.1f MiB %s", name, (int) (fraction * 100),
                    "=".repeat(filled), " ".repeat(BAR_WIDTH - filled), done / MIB, total / MIB, speed));
        } else {
            out.print(String.format(Locale.ROOT, "\r%s %.1f MiB %s", name, done / MIB, speed));
        }
        out.flush();
    }
}
