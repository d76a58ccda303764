"""A message kind made for a test: proves that a renderer module is all a new kind needs."""

from __future__ import annotations

from clientele.messaging.messages import MessageContext
from clientele.messaging.model import EmailContent


def render(context: MessageContext) -> EmailContent:
    note = context.delivery.refs["note"]
    return EmailContent(subject=f"A note: {note}", text=f"Note {note}", html=f"<p>Note {note}</p>", unsubscribe=False)
