package io.llama2j.train;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Ctrl-C for a training loop: while installed, a JVM shutdown (SIGINT, SIGTERM) calls the
 * loop's stop request and then waits, at most {@link #STOP_TIMEOUT_SECONDS}, until the loop has
 * reached its step boundary and written its checkpoint ({@link #close}). Pretraining, SFT, the
 * reward model, DPO and PPO all stop this way, so an interrupted run of any stage resumes.
 */
public final class StopOnShutdown implements AutoCloseable {
    /** How long the shutdown hook waits for the checkpoint of an interrupted run. */
    public static final long STOP_TIMEOUT_SECONDS = 120;

    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Thread hook;

    private StopOnShutdown(Runnable requestStop) {
        this.hook = Thread.ofPlatform().unstarted(() -> {
            requestStop.run();
            try {
                stopped.await(STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    /** Installs the hook; {@code requestStop} must make the loop stop at its next step boundary with a checkpoint. */
    public static StopOnShutdown install(Runnable requestStop) {
        StopOnShutdown s = new StopOnShutdown(requestStop);
        Runtime.getRuntime().addShutdownHook(s.hook);
        return s;
    }

    /** The loop has ended (its checkpoint is written): releases a waiting hook and uninstalls it. */
    @Override
    public void close() {
        stopped.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the JVM is already exiting: the hook is running and has been released above
        }
    }
}
