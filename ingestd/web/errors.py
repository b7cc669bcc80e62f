"""Error pages in Vietnamese (``lang="vi"``), for every status the console answers with: the
ones the handlers choose (400, 403, 404) and the ones Starlette raises (405, 500). An /api/
path gets the same words as JSON. The page needs no database, so it works when that is down."""

from __future__ import annotations

from pathlib import Path

import jinja2
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

TITLE_VI = {
    400: "Yêu cầu không hợp lệ",
    401: "Cần đăng nhập",
    403: "Không được phép",
    404: "Không tìm thấy",
    405: "Trang này không nhận yêu cầu kiểu này",
    408: "Hết thời gian chờ",
    413: "Yêu cầu quá lớn",
    429: "Quá nhiều yêu cầu",
    500: "Lỗi hệ thống",
}
DETAIL_VI = {
    404: "Không có trang này.",
    405: "Hãy mở trang từ các liên kết của bảng điều khiển.",
    500: "Lỗi đã được ghi vào nhật ký. Thử lại sau, hoặc báo cho quản trị viên.",
}
_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")), autoescape=True)


class BadRequest(Exception):
    """400: a parameter of the request is not one the page can use; the message says which."""


def error_response(request: Request, status: int, detail: str | None = None) -> Response:
    title = TITLE_VI.get(status, "Lỗi")
    detail = detail or DETAIL_VI.get(status, "")
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": detail or title}, status_code=status)
    html = _TEMPLATES.get_template("error.html").render(status=status, title=title, detail=detail)
    return HTMLResponse(html, status_code=status)


async def http_exception(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    return error_response(request, status)


async def bad_request(request: Request, exc: Exception) -> Response:
    return error_response(request, 400, str(exc))


async def server_error(request: Request, exc: Exception) -> Response:
    return error_response(request, 500)
