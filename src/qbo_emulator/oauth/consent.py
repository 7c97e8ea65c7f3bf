"""The HTML pages of the authorization endpoint: the consent page and the error page.

Pages are self-contained (inline CSS, no script, no external resources) and every value that
comes from an app registration, a company or a request is HTML-escaped.
"""

from __future__ import annotations

from html import escape

from .models import SCOPE_DESCRIPTIONS, AuthorizeRequest

# Sent with every page: no framing (click-jacking), no scripts, nothing loaded from elsewhere.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}

_STYLE = """
body { font-family: system-ui, sans-serif; background: #f4f5f8; color: #393a3d; margin: 0; }
main { max-width: 32rem; margin: 3rem auto; background: #fff; padding: 2rem;
       border-radius: 8px; box-shadow: 0 1px 4px rgba(0,0,0,.15); }
h1 { font-size: 1.3rem; margin-top: 0; }
ul.scopes li { margin: .3rem 0; }
fieldset { border: 1px solid #d4d7dc; border-radius: 4px; margin: 1rem 0; }
label { display: block; padding: .3rem 0; }
.buttons { display: flex; flex-direction: row-reverse; gap: .75rem; }
button { font-size: 1rem; padding: .5rem 1.25rem; border-radius: 4px; cursor: pointer; }
button.connect { background: #2ca01c; color: #fff; border: 1px solid #2ca01c; }
button.cancel { background: #fff; color: #393a3d; border: 1px solid #8d9096; }
.error { color: #d52b1e; }
small { color: #6b6c72; }
"""


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )


def _hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'


def render_consent(
    request: AuthorizeRequest,
    companies: list[tuple[str, str]],
    nonce: str,
    action: str,
) -> str:
    """The page where the user picks a company and connects the app to it (or cancels)."""
    app_name = escape(request.app.name)
    scope_items = "".join(
        f"<li>{escape(SCOPE_DESCRIPTIONS.get(s, s))} <small>({escape(s)})</small></li>"
        for s in request.scopes
    )
    if companies:
        choices = "".join(
            f'<label><input type="radio" name="realm_id" value="{escape(realm)}" required'
            f"{' checked' if index == 0 else ''}> {escape(name)} <small>({escape(realm)})</small>"
            "</label>"
            for index, (realm, name) in enumerate(companies)
        )
    else:
        choices = '<p class="error">There is no company to connect to.</p>'
    hidden = "".join(
        [
            _hidden("client_id", request.app.client_id),
            _hidden("response_type", "code"),
            _hidden("scope", request.scope_text),
            _hidden("redirect_uri", request.redirect_uri),
            _hidden("state", request.state or ""),
            _hidden("consent_nonce", nonce),
        ]
    )
    disabled = "" if companies else " disabled"
    body = (
        f"<h1>{app_name} wants to connect to your QuickBooks company</h1>"
        f"<p>{app_name} is asking to:</p>"
        f'<ul class="scopes">{scope_items}</ul>'
        f'<form method="post" action="{escape(action)}">{hidden}'
        f"<fieldset><legend>Choose a company</legend>{choices}</fieldset>"
        # Connect comes first so that pressing Enter connects; the CSS shows it on the right.
        '<div class="buttons">'
        f'<button type="submit" name="action" value="connect" class="connect"{disabled}>'
        "Connect</button>"
        '<button type="submit" name="action" value="cancel" class="cancel" formnovalidate>'
        "Cancel</button>"
        "</div></form>"
        f"<p><small>You will be sent back to {escape(request.redirect_uri)}</small></p>"
    )
    return _page(f"Connect {request.app.name} to QuickBooks", body)


def render_error(message: str) -> str:
    """The page shown instead of a redirect when the request cannot be trusted or served."""
    body = (
        "<h1>We can't connect this app</h1>"
        f'<p class="error">{escape(message)}</p>'
        "<p><small>QuickBooks Online emulator: authorization request rejected.</small></p>"
    )
    return _page("Authorization error", body)
