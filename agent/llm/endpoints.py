"""What an endpoint was found to accept: the output mode that works, the modes it refused.

`Endpoint` is one process's knowledge, shared by an `LLM` and its bounded copies; the mode that
works is also kept in the workspace (`EndpointMemory`, a JSON file keyed by base URL and model),
so the next command asks the right way at once instead of being refused again.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path

from agent.llm.modes import OutputMode


class EndpointMemory:
    """The mode each endpoint answered in, by `base URL + model`: a small JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def _read(self) -> dict[str, dict[str, object]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return {}  # nothing known yet, or a file cut by a crash: found again at the next call
        return data if isinstance(data, dict) else {}

    def recall(self, key: str) -> OutputMode | None:
        mode = self._read().get(key, {}).get("mode")
        return OutputMode(mode) if isinstance(mode, str) and mode in OutputMode.__members__ else None

    def remember(self, key: str, mode: OutputMode, refused: dict[OutputMode, str]) -> None:
        with self._lock:
            known = self._read()  # another process may have learnt about another endpoint
            known[key] = {"mode": str(mode), "refused": {str(m): reason for m, reason in refused.items()}}
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Written aside and moved into place: a reader never sees half a file.
            descriptor, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".endpoints-")
            with os.fdopen(descriptor, "w", encoding="utf-8") as out:
                json.dump(known, out, indent=1, sort_keys=True)
            Path(temporary).replace(self.path)


class Endpoint:
    """Which of `modes` to ask in, learnt call by call: the one that worked first, then those not
    refused yet. A refusal of a mode that has worked in this process concerns one request (a
    schema that server cannot compile), so that mode is kept for the others."""

    def __init__(self, key: str, modes: tuple[OutputMode, ...], memory: EndpointMemory | None) -> None:
        self.key = key
        self.modes = modes
        self.memory = memory if key else None
        remembered = self.memory.recall(key) if self.memory else None
        self.mode: OutputMode | None = remembered if remembered in modes else None
        self.proven = False  # `mode` worked in this process (not only in the remembered past)
        self.answered = False  # the endpoint has sent an answer to this process
        self.refused: dict[OutputMode, str] = {}
        self._lock = threading.Lock()

    def modes_to_try(self) -> list[OutputMode]:
        with self._lock:
            first = [self.mode] if self.mode else []
            return first + [m for m in self.modes if m != self.mode and m not in self.refused]

    def works(self, mode: OutputMode) -> bool:
        """Whether `mode` has worked in this process."""
        with self._lock:
            return self.proven and mode == self.mode

    def refuse(self, mode: OutputMode, reason: str) -> None:
        with self._lock:
            if self.proven and mode == self.mode:
                return
            self.refused[mode] = reason
            if mode == self.mode:
                self.mode = None  # remembered, but the endpoint changed since

    def confirm(self, mode: OutputMode) -> None:
        with self._lock:
            if self.proven and mode == self.mode:
                return
            changed = mode != self.mode
            self.mode, self.proven = mode, True
            refused = dict(self.refused)
        if changed and self.memory is not None:
            self.memory.remember(self.key, mode, refused)
