"""Model answers, kept: a JSONL file keyed by model, sampling settings, prompt content and input.

Evals replay it so that re-running an unchanged suite costs nothing, and record into it so the
CI gate can replay what was measured. A changed prompt or input is a new key, so a behaviour
change is always measured afresh. `epoch` separates repeats: a nondeterministic backend gets a
fresh answer per repeat instead of the first one again.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path
from typing import Any


class AnswerCache:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.epoch = 0
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()
        self._answers: dict[str, dict[str, Any]] = {}
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    row = json.loads(line)
                    self._answers[row["key"]] = row

    def key(self, fingerprint: str, messages: list[tuple[str, str]], kwargs: dict[str, Any]) -> str:
        material = json.dumps([fingerprint, messages, kwargs, self.epoch], sort_keys=True, default=str)
        return hashlib.sha256(material.encode()).hexdigest()

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._answers.get(key)
            if row is None:
                self.misses += 1
            else:
                self.hits += 1
            return row

    def put(self, key: str, task: str, text: str, usage: dict[str, int]) -> None:
        row = {"key": key, "task": task, "text": text, "usage": usage}
        with self._lock:
            if key in self._answers:
                return
            self._answers[key] = row
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
