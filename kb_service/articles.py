"""Help-centre articles: Markdown files with YAML front matter, parsed, validated and split into passages."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from kb_service.errors import InvalidArticle

log = logging.getLogger(__name__)

SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Escalation = Literal["none", "offer", "always"]
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n?(.*)\Z", re.DOTALL)
SKIPPED_FILES = {"README.md"}


class ArticleMeta(BaseModel):
    """The front matter every article carries."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(pattern=SLUG, max_length=80)
    title: str = Field(min_length=3, max_length=200)
    summary: str = Field(min_length=10, max_length=600)
    topic: str = Field(min_length=1, max_length=80)
    tags: list[str] = Field(default_factory=list, max_length=20)
    escalation: Escalation = "none"
    updated: dt.date
    # When an editor should look at it again; the desk flags articles past it.
    review_by: dt.date | None = None
    questions: list[str] = Field(default_factory=list, max_length=200)

    @field_validator("tags", "questions")
    @classmethod
    def _no_blank_items(cls, items: list[str]) -> list[str]:
        cleaned = [str(item).strip() for item in items]
        if any(not item for item in cleaned):
            raise ValueError("must not contain empty items")
        return cleaned


class Article(ArticleMeta):
    """An article: its front matter plus the Markdown body."""

    body: str = Field(min_length=1, max_length=100_000)

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(render_article(self).encode("utf-8")).hexdigest()


def parse_article(text: str, *, source: str = "<text>") -> Article:
    """Parse one Markdown file; raise InvalidArticle with a readable reason."""
    match = _FRONT_MATTER.match(text.lstrip("\ufeff"))
    if not match:
        raise InvalidArticle(f"{source}: no YAML front matter between '---' lines")
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as e:
        raise InvalidArticle(f"{source}: front matter is not valid YAML: {e}") from e
    if not isinstance(meta, dict):
        raise InvalidArticle(f"{source}: front matter must be a mapping")
    try:
        return Article(**meta, body=match.group(2).strip())
    except ValidationError as e:
        raise InvalidArticle(f"{source}: {_explain(e)}", fields=field_errors(e.errors())) from e
    except TypeError as e:
        raise InvalidArticle(f"{source}: {e}") from e


def _explain(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or 'article'}: {err['msg']}" for err in error.errors()
    )


def field_errors(errors: Iterable[Mapping[str, Any]], *, skip: int = 0, prefix: str = "") -> dict[str, str]:
    """Each invalid field with what is wrong with it (several problems joined). A field is named
    by its place up to the first list index (`tags`, not `tags.3`; `draft.title`), after `skip`
    leading parts of the place (FastAPI's `body`)."""
    fields: dict[str, str] = {}
    for err in errors:
        parts: list[str] = []
        for part in list(err.get("loc", ()))[skip:]:
            if isinstance(part, int):
                break
            parts.append(str(part))
        name = prefix + (".".join(parts) or "article")
        message = str(err.get("msg", "invalid"))
        fields[name] = f"{fields[name]}; {message}" if name in fields else message
    return fields


def render_article(article: Article) -> str:
    """The canonical Markdown file for an article (what an edit writes to disk)."""
    meta = article.model_dump(exclude={"body"})
    meta["updated"] = article.updated.isoformat()
    if article.review_by is None:
        del meta["review_by"]  # files without one stay as they were
    else:
        meta["review_by"] = article.review_by.isoformat()
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=100)
    return f"---\n{front}---\n{article.body.strip()}\n"


def load_articles(directory: Path) -> dict[str, Article]:
    """Every article in a folder, by id. A broken file is logged and skipped, never fatal."""
    articles, problems = read_folder(directory)
    for problem in problems:
        log.error("skipping article file %s", problem)
    return articles


def read_folder(directory: Path) -> tuple[dict[str, Article], list[str]]:
    """Every valid article in a folder by id, and what is wrong with each file that is not."""
    articles: dict[str, Article] = {}
    problems: list[str] = []
    for path in sorted(directory.glob("*.md")):
        if path.name in SKIPPED_FILES or path.name.startswith(("_", ".")):
            continue
        article = read_article_file(path)
        if isinstance(article, str):
            problems.append(article)
        else:
            articles[article.id] = article
    return articles, problems


def read_article_file(path: Path) -> Article | str:
    """The article in `path`, or a sentence saying why there is none."""
    try:
        article = parse_article(path.read_text(encoding="utf-8"), source=path.name)
    except (InvalidArticle, OSError, UnicodeDecodeError) as e:
        return f"{path}: {e}"
    if article.id != path.stem:
        return f"{path}: its id {article.id!r} differs from the file name"
    return article


def write_article_file(directory: Path, article: Article) -> Path:
    """Write atomically, so a reader never sees half a file."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{article.id}.md"
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{article.id}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(render_article(article))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


# --- passages ---------------------------------------------------------------------------

PassageKind = Literal["summary", "body", "question"]


@dataclass(frozen=True, slots=True)
class PassageText:
    """A piece of an article that is embedded on its own."""

    kind: PassageKind
    text: str  # what a person reads
    embed_text: str  # what the model sees (carries the title for context)


_MD_NOISE = re.compile(r"(^\s*#{1,6}\s*|^\s*[-*+]\s+|^\s*\d+[.)]\s+|\*\*|__|`|\[|\]\([^)]*\))", re.M)


def plain_text(markdown: str) -> str:
    """Markdown without its markup, for embedding and for showing in a chat bubble."""
    return re.sub(r"[ \t]+", " ", _MD_NOISE.sub("", markdown)).strip()


def split_passages(article: Article, max_words: int) -> list[PassageText]:
    """Summary, body chunks of about max_words on paragraph boundaries, and each question."""
    passages = [
        PassageText("summary", article.summary, f"{article.title}. {article.summary}"),
    ]
    for chunk in _chunk_paragraphs(_paragraphs(article.body), max_words):
        passages.append(PassageText("body", chunk, f"{article.title}. {chunk}"))
    passages.extend(PassageText("question", q, q) for q in article.questions)
    return passages


def _paragraphs(markdown: str) -> list[str]:
    blocks = [plain_text(b) for b in re.split(r"\n\s*\n", markdown)]
    return [" ".join(b.split()) for b in blocks if b.strip()]


def _chunk_paragraphs(paragraphs: Iterable[str], max_words: int) -> list[str]:
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for para in paragraphs:
        words = len(para.split())
        if current and size + words > max_words:
            chunks.append(" ".join(current))
            current, size = [], 0
        if words > max_words:  # a very long paragraph is cut on word boundaries
            tokens = para.split()
            for start in range(0, len(tokens), max_words):
                chunks.append(" ".join(tokens[start : start + max_words]))
            continue
        current.append(para)
        size += words
    if current:
        chunks.append(" ".join(current))
    return chunks
