"""What the site lets a browser do: one Content Security Policy, and which attachments are published.

The policy is sent as a header by `backbrain serve` (backbrain.web.security) and written as a
`<meta http-equiv>` into every page of the static site, so a page opened from any static host is held
to the same rules. `frame-ancestors` is the one directive a `<meta>` cannot carry (browsers ignore it
there); a static host that can set headers should send `frame-ancestors 'none'` itself.

Attachments are files someone put in the vault. An HTML or JavaScript file published next to the pages
would be a page of the site's own origin (a stored XSS on whoever opens it), so active types are never
published; what is published is served by `serve` as a download, and images are only shown via <img>.
"""

from __future__ import annotations

PAGE_DIRECTIVES = [
    "default-src 'self'",
    "script-src 'self'",  # no inline scripts, no eval: every script is a file under /static/
    "style-src 'self' 'unsafe-inline'",  # mermaid writes <style> into its SVGs
    "img-src 'self' data: https:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
]
META_CONTENT_SECURITY_POLICY = "; ".join(PAGE_DIRECTIVES)
CONTENT_SECURITY_POLICY = "; ".join([*PAGE_DIRECTIVES, "frame-ancestors 'none'"])

# Never published: a browser would run them as documents or scripts of the site's origin.
ACTIVE_SUFFIXES = frozenset({".html", ".htm", ".xhtml", ".xht", ".shtml", ".mht", ".mhtml", ".js", ".mjs", ".cjs",
                             ".xml", ".xsl", ".xslt", ".swf", ".php", ".hta", ".svgz"})  # fmt: skip
# Shown inline (by <img>) with their own type; every other attachment is application/octet-stream.
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
               ".webp": "image/webp", ".avif": "image/avif", ".bmp": "image/bmp", ".ico": "image/x-icon",
               ".svg": "image/svg+xml"}  # fmt: skip


def publishable(rel: str) -> bool:
    """True when an attachment may be copied into the site (not an active document or script)."""
    dot = rel.rfind(".")
    return dot < 0 or rel[dot:].lower() not in ACTIVE_SUFFIXES


def attachment_type(rel: str) -> str:
    dot = rel.rfind(".")
    return IMAGE_TYPES.get(rel[dot:].lower(), "application/octet-stream") if dot >= 0 else "application/octet-stream"
