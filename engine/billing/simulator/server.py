"""Serving the simulator with waitress, able to drop a connection without an answer.

A WSGI app cannot close its client's socket. The simulator's fault injection raises
``DropConnection`` out of the app instead; the task below catches it before anything is written
and marks the connection to be closed, so the client sees the connection end without a response.
Other requests are served by the other threads meanwhile (a ``hang`` holds one thread only).
"""
from __future__ import annotations

from waitress.channel import HTTPChannel
from waitress.server import create_server
from waitress.task import WSGITask

from .faults import DropConnection


class _Task(WSGITask):
    def service(self):
        try:
            super().service()
        except DropConnection:
            # raised by the app before start_response: not a byte was written
            self.close_on_finish = True


class _Channel(HTTPChannel):
    task_class = _Task


def serve(app, host: str, port: int, threads: int, ident: str = "billing-simulator") -> None:
    """Serve ``app`` until the process ends (waitress, ``threads`` worker threads)."""
    server = create_server(app, host=host, port=port, threads=threads, ident=ident)
    server.channel_class = _Channel
    server.print_listen("Serving on http://{}:{}")
    server.run()
