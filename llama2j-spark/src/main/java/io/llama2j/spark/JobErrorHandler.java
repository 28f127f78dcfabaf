package io.llama2j.spark;

import picocli.CommandLine;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * One clear line on stderr and exit code 1 for a job that failed on the user's input (a missing
 * model, a bad option, an unreadable file), instead of a stack trace; LLAMA2J_DEBUG=1 prints the
 * trace as well. Unlike the CLI's handler it looks through Spark's wrapping: a task failure
 * reaches the driver as a SparkException whose cause chain holds the user's error.
 */
final class JobErrorHandler implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult parsed) {
        Throwable userError = userError(ex);
        Throwable shown = userError != null ? userError : ex;
        String message = shown.getMessage() == null ? shown.getClass().getSimpleName() : shown.getMessage();
        cl.getErr().println("llama2j-spark " + cl.getCommandName() + ": " + (userError != null ? "" : "internal error: ") + message);
        if (userError == null || "1".equals(System.getenv("LLAMA2J_DEBUG"))) ex.printStackTrace(cl.getErr());
        return 1;
    }

    /** The first error in the cause chain that the user's input can cause, or null. */
    static Throwable userError(Throwable ex) {
        for (Throwable t = ex; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof IllegalArgumentException || t instanceof IllegalStateException || t instanceof IOException
                    || t instanceof UncheckedIOException || t instanceof UnsupportedOperationException) {
                return t;
            }
        }
        return null;
    }
}
