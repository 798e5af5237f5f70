# The course's Jupyter server settings, read by every server started from the environment they are
# installed in: `make setup` copies this file to .venv/etc/jupyter/, Binder's postBuild to its
# environment's etc/jupyter/ (tests/test_binder.py checks both).
#
# Kernel messages go to the browser at once. Jupyter's server leaves Nagle's algorithm on for the
# kernel's WebSocket: a small message written while the one before is still unacknowledged waits
# for the browser's delayed acknowledgement, up to 40 ms on Linux. An explorer's change brings
# several small messages (the kernel busy, the controls' new state, the picture, the kernel idle),
# so every other change waited. With TCP_NODELAY, measured in Chromium on the 2-core CI machine:
# a widget that draws nothing, 50–69 → 48–51 ms median per change; notebook 04's explorer,
# 75–77 → 58–66 ms.
try:
    from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection
except ImportError:  # a jupyter_server before 2.0: messages may wait, nothing else changes
    pass
else:

    class PromptKernelConnection(ZMQChannelsWebsocketConnection):
        """The kernel's WebSocket connection, with TCP_NODELAY set on its socket."""

        def connect(self):
            self.websocket_handler.set_nodelay(True)
            return super().connect()

    c.ServerApp.kernel_websocket_connection_class = PromptKernelConnection  # noqa: F821 - given by Jupyter
