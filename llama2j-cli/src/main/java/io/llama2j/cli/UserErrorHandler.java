package io.llama2j.cli;

import picocli.CommandLine;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Turns the errors a user can cause (bad files, bad options, bad input) into one clear line on
 * stderr and exit code 1, instead of a stack trace. LLAMA2J_DEBUG=1 prints the trace as well.
 */
final class UserErrorHandler implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult parsed) {
        boolean userError = ex instanceof IllegalArgumentException || ex instanceof IllegalStateException
                || ex instanceof IOException || ex instanceof UncheckedIOException
                || ex instanceof UnsupportedOperationException;
        String message = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
        cl.getErr().println("llama2j " + cl.getCommandName() + ": " + (userError ? "" : "internal error: ") + message);
        if (!userError || "1".equals(System.getenv("LLAMA2J_DEBUG"))) {
            ex.printStackTrace(cl.getErr());
        }
        return 1;
    }
}
