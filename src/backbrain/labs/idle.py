"""Servers that wait for work in a SimPy simulation whose queue discipline is its own.

The queueing, load-shedding and retry-collapse labs each keep their requests in a deque they serve in
their own order (FIFO, LIFO under overload, dropping stale requests). SimPy's Store would impose its
own order, so they share only this: a server with nothing to do waits on an event, and a new request
wakes the server that went idle last (deterministic, so seeded runs repeat exactly).
"""

from __future__ import annotations

import simpy


class IdleServers:
    def __init__(self, env: simpy.Environment) -> None:
        self.env = env
        self._waiting: list[simpy.Event] = []

    def wait(self) -> simpy.Event:
        """An event to yield until a request arrives (then look at the queue again: another server
        may have taken it)."""
        wake = self.env.event()
        self._waiting.append(wake)
        return wake

    def wake_one(self) -> None:
        """Call after putting a request in the queue."""
        if self._waiting:
            self._waiting.pop().succeed()
