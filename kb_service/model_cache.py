"""Model folders replaced atomically, and a per-user cache of tuned models shared by every clone
on a machine, kept by fingerprint."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)


def replace_dir(out_dir: Path, write: Callable[[Path], object]) -> None:
    """Have `write` fill a staging folder beside `out_dir`, then put it in place with renames,
    so a reader (a running service) never sees half a model."""
    staging = out_dir.with_name(out_dir.name + ".staging")
    shutil.rmtree(staging, ignore_errors=True)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    try:
        write(staging)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if out_dir.exists():
        previous = out_dir.with_name(out_dir.name + ".previous")
        shutil.rmtree(previous, ignore_errors=True)
        out_dir.rename(previous)
        staging.rename(out_dir)
        shutil.rmtree(previous, ignore_errors=True)
    else:
        staging.rename(out_dir)


def user_cache_dir() -> Path:
    """Per-user cache shared by every clone on this machine: `KESTREL_CACHE_DIR`, else
    `$XDG_CACHE_HOME/kestrel-support`, else `~/.cache/kestrel-support`."""
    if explicit := os.environ.get("KESTREL_CACHE_DIR"):
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kestrel-support"


class ModelCache:
    """Model folders kept by fingerprint, so another clone with the same articles and recipe
    copies one instead of tuning again. The repository's own `var/model` stays the working
    copy; the cache is only ever copied from. Each entry carries a record of its fingerprint and
    of its files' sizes, written last: an entry without it, or whose files differ from it, is not
    whole and is simply tuned again. Clones storing the same model at once each stage their own
    copy; the first rename wins, the others discard theirs."""

    RECORD = "cache-entry.json"

    def __init__(self, root: Path, keep: int = 3) -> None:
        self.root = root / "models"
        self.keep = keep

    @staticmethod
    def _record(fp: str, folder: Path) -> dict[str, object]:
        files = {
            str(p.relative_to(folder)): p.stat().st_size
            for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != ModelCache.RECORD
        }
        return {"fingerprint": fp, "files": files}

    def _is_whole(self, entry: Path, fp: str) -> bool:
        try:
            return bool(json.loads((entry / self.RECORD).read_text()) == self._record(fp, entry))
        except (OSError, ValueError):
            return False

    def fetch(self, fp: str, out_dir: Path) -> bool:
        """Copy the model of fingerprint `fp` to `out_dir`; False when there is no whole one."""
        cached = self.root / fp
        if not self._is_whole(cached, fp):
            return False
        without_record = shutil.ignore_patterns(self.RECORD)
        try:
            replace_dir(out_dir, lambda staging: shutil.copytree(cached, staging, ignore=without_record))
        except OSError as e:
            log.warning("could not copy the cached model %s (%s); tuning instead", cached, e)
            return False
        with contextlib.suppress(OSError):  # only the eviction order depends on it
            os.utime(cached)
        return True

    def store(self, fp: str, model_dir: Path) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            own = Path(tempfile.mkdtemp(dir=self.root, prefix=f".{fp}."))
        except OSError as e:  # a cache we cannot write only costs the next clone a tuning
            log.warning("could not keep the tuned model in %s (%s)", self.root, e)
            return
        try:
            staged = own / "model"
            shutil.copytree(model_dir, staged)
            (staged / self.RECORD).write_text(json.dumps(self._record(fp, staged)))
            if not (self.root / fp).exists():
                staged.rename(self.root / fp)
        except OSError as e:  # another clone stored it first, or the disk is full
            log.info("kept no copy of the tuned model in %s (%s)", self.root, e)
        finally:
            shutil.rmtree(own, ignore_errors=True)
        self._evict()

    def _evict(self) -> None:
        def age(entry: Path) -> float:
            try:
                return entry.stat().st_mtime
            except OSError:
                return 0.0

        entries = [p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")]
        for old in sorted(entries, key=age, reverse=True)[self.keep :]:
            shutil.rmtree(old, ignore_errors=True)
