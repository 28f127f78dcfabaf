package io.llama2j.server.schedule;

/** Every slot is busy and the waiting queue is at capacity: the client should retry later (429). */
public final class QueueFullException extends Exception {
    public QueueFullException(int capacity) {
        super("The server is busy: all slots are in use and " + capacity
                + " requests are already waiting. Retry later.");
    }
}
