package io.llama2j.server.api;

import io.javalin.http.Context;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.BufferUtil;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Tells whether the client of a pending non-streamed request has gone away. Such a response
 * sends nothing until generation ends, and HTTP/1.1 gives the server no signal meanwhile, so
 * this reads the idle connection as Go's net/http does for its CloseNotify: once the request
 * body has been consumed, a client that is still waiting sends nothing more, and end-of-stream
 * (or a reset) means it closed the connection. A client that sends more bytes instead
 * (HTTP pipelining) cannot have them handed back to Jetty; the probe then stops, and the
 * response closes the connection so that the client sends its next request again on a new one.
 */
final class ClientConnection {

    private final Context ctx;
    private final EndPoint endPoint;
    private final ByteBuffer probe = BufferUtil.allocate(1);
    private boolean probing;

    private ClientConnection(Context ctx, EndPoint endPoint) {
        this.ctx = ctx;
        this.endPoint = endPoint;
        this.probing = endPoint != null;
    }

    /** The connection of this request; one that cannot be probed (not Jetty HTTP/1.x) reports open. */
    static ClientConnection of(Context ctx) {
        Request request = Request.getBaseRequest(ctx.req());
        boolean http1 = ctx.req().getProtocol() != null && ctx.req().getProtocol().startsWith("HTTP/1.");
        EndPoint endPoint = request != null && http1 && request.getHttpChannel() != null
                ? request.getHttpChannel().getEndPoint() : null;
        return new ClientConnection(ctx, endPoint);
    }

    /** Whether the client closed (or reset) its connection. Never blocks. */
    boolean closed() {
        if (!probing) return false;
        try {
            BufferUtil.clear(probe);
            int read = endPoint.fill(probe);
            if (read < 0) return true;
            if (read > 0) {
                probing = false;
                ctx.header("Connection", "close");
            }
            return false;
        } catch (IOException reset) {
            return true;
        }
    }
}
