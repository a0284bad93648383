"""Public pages: the demo homepage with the widget, the widget script, help-centre articles."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from markupsafe import Markup

from desk.errors import ArticleNotFound, UpstreamUnavailable
from desk.pages import STATIC_DIR, markdown_html, render
from desk.routes.deps import DeskDep

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def demo_page(request: Request) -> Response:
    return render(request, "index.html")


@router.get("/favicon.ico")
def favicon() -> Response:
    return Response(status_code=204)


@router.get("/widget.js")
def widget_script() -> Response:
    # Any site may load the script; it then talks only to this desk.
    return FileResponse(
        STATIC_DIR / "widget.js",
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/help", response_class=HTMLResponse)
@router.get("/help/", response_class=HTMLResponse)
async def help_index(request: Request, desk: DeskDep) -> Response:
    try:
        articles = await desk.kb.articles()
    except UpstreamUnavailable:
        return render(request, "help_unavailable.html", status_code=503)
    return render(request, "help_index.html", articles=sorted(articles, key=lambda a: a["title"]))


@router.get("/help/{article_id}", response_class=HTMLResponse)
async def help_article(article_id: str, request: Request, desk: DeskDep) -> Response:
    try:
        article = await desk.kb.article(article_id)
    except ArticleNotFound:
        return render(request, "help_missing.html", status_code=404)
    except UpstreamUnavailable:
        return render(request, "help_unavailable.html", status_code=503)
    body = Markup(markdown_html(article.get("body", "")))  # noqa: S704 - markdown-it with html disabled escapes
    return render(request, "help_article.html", article=article, body=body)
