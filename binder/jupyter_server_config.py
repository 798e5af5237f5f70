# The course's Jupyter server settings, read by every server started from the environment they are
# installed in: `make setup` copies this file to .venv/etc/jupyter/, Binder's postBuild adds it to
# its environment's etc/jupyter/jupyter_server_config.py (tests/test_binder.py checks both).
#
# Kernel messages go to the browser at once. Jupyter's server leaves Nagle's algorithm on for the
# kernel's WebSocket: a small message written while the one before is still unacknowledged waits
# for the browser's delayed acknowledgement, up to 40 ms on Linux. An explorer's change brings
# several small messages (the kernel busy, the controls' new state, the picture, the kernel idle),
# so every other change waited. README's Budgets table has what TCP_NODELAY measured.
import os

try:
    from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection
except ImportError:  # a jupyter_server before 2.0: messages may wait, nothing else changes
    ZMQChannelsWebsocketConnection = None

# A server whose kernels run behind a gateway has a connection class of its own: it is kept.
if ZMQChannelsWebsocketConnection is not None and not os.environ.get("JUPYTER_GATEWAY_URL"):

    class PromptKernelConnection(ZMQChannelsWebsocketConnection):
        """The kernel's WebSocket connection, with TCP_NODELAY set on its socket."""

        def connect(self):
            self.websocket_handler.set_nodelay(True)
            return super().connect()

    c.ServerApp.kernel_websocket_connection_class = PromptKernelConnection  # noqa: F821 - given by Jupyter
