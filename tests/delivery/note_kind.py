"""A message kind made for a test: proves that a renderer module is all a new kind needs."""

from __future__ import annotations

from clientele.domain.deliveries import EmailContent
from clientele.services.messages import MessageContext


def render(context: MessageContext) -> EmailContent:
    note = context.delivery.refs["note"]
    return EmailContent(subject=f"A note: {note}", text=f"Note {note}", html=f"<p>Note {note}</p>", unsubscribe=False)
