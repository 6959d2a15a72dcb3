"""Conversations and messages: storing, numbering, assigning and auto-replying.

Every write of the live desk goes through here. Broadcasts never happen inside
these functions: they return (or register on commit) `Event`s, and the real-time
layer publishes them only after the transaction has committed.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, models, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.chat import wire
from kefu.chat.models import (
    Conversation,
    ConversationEvent,
    EventKind,
    Message,
    SenderKind,
    Status,
    Visitor,
)
from kefu.coach import presend
from kefu.errors import Forbidden, NotFound, ServiceError
from kefu.realtime.events import Event
from kefu.shops import services as shop_services
from kefu.shops.models import Membership, Shop

TOKEN_SALT = "kefu.visitor"
AUTO_REPLY_GAP = dt.timedelta(minutes=10)
HISTORY_PAGE = 500
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
# Ids the server gives its own messages (auto-replies, FAQ answers): no client may use them.
RESERVED_CLIENT_ID_PREFIXES = ("sys-", "faq-")


# --- visitors -------------------------------------------------------------------------------


def get_shop_by_key(key: str) -> Shop:
    """The shop a widget key belongs to."""
    shop = Shop.objects.filter(public_key=key).first() if key else None
    if shop is None:
        raise NotFound("no_shop", _("找不到这家店铺。"))
    return shop


def visitor_token(visitor: Visitor) -> str:
    return signing.dumps({"v": visitor.public_id.hex, "s": visitor.shop_id}, salt=TOKEN_SALT)


def get_or_create_visitor(*, shop: Shop, token: str | None) -> Visitor:
    """The visitor a token names, created if they have no row yet; a new one when the token
    is missing, forged or for another shop."""
    visitor_pass = visitor_pass_for(shop=shop, token=token)
    return visitor_pass.visitor or ensure_visitor(shop_id=shop.id, public_id=visitor_pass.public_id)


@dataclass(frozen=True, slots=True)
class VisitorPass:
    """Who a widget is: a visitor id and its signed token. The Visitor row is created only
    when they first write, so page views and crawlers leave nothing behind."""

    public_id: uuid.UUID
    token: str
    visitor: Visitor | None


def visitor_pass_for(*, shop: Shop, token: str | None) -> VisitorPass:
    """The visitor a token names (row or not yet), or a fresh id for a missing, forged or
    foreign token."""
    public_id: uuid.UUID | None = None
    if token:
        try:
            data = signing.loads(token, salt=TOKEN_SALT)
        except signing.BadSignature:
            data = None
        if isinstance(data, dict) and data.get("s") == shop.id:
            try:
                public_id = uuid.UUID(str(data.get("v")))
            except ValueError:
                public_id = None
    if public_id is None:
        public_id = uuid.uuid4()
    visitor = Visitor.objects.filter(shop=shop, public_id=public_id).first()
    token = signing.dumps({"v": public_id.hex, "s": shop.id}, salt=TOKEN_SALT)
    return VisitorPass(public_id, token, visitor)


def ensure_visitor(*, shop_id: int, public_id: uuid.UUID) -> Visitor:
    """The visitor row for a pass, created on their first message."""
    try:
        with transaction.atomic():
            visitor, _created = Visitor.objects.get_or_create(
                shop_id=shop_id, public_id=public_id,
                defaults={"nickname": f"访客{public_id.hex[:4].upper()}"},
            )
    except IntegrityError:  # two tabs wrote at once: the other one created it
        visitor = Visitor.objects.get(shop_id=shop_id, public_id=public_id)
    return visitor


def stored_copy(*, visitor: Visitor, client_id: str) -> dict[str, Any] | None:
    """The message this visitor already stored under client_id, if any."""
    message = (
        Message.objects.select_related("author")
        .filter(conversation__visitor=visitor, client_id=client_id).first()
    )
    return wire.message_dict(message) if message else None


def latest_conversation(visitor: Visitor) -> Conversation | None:
    return visitor.conversations.order_by("-id").first()


# --- validation -----------------------------------------------------------------------------


def clean_text(text: Any) -> str:
    """A message's text, or a ServiceError a person can read."""
    if not isinstance(text, str):
        raise ServiceError("bad_text", _("消息格式不正确。"))
    text = text.strip()
    if not text:
        raise ServiceError("empty", _("不能发送空白消息。"))
    limit = settings.KEFU_MAX_MESSAGE_CHARS
    if len(text) > limit:
        raise ServiceError(
            "too_long", _("消息太长了，请分几条发送（每条不超过%(n)d字）。") % {"n": limit}
        )
    return text


def clean_client_id(client_id: Any) -> str:
    if (
        not isinstance(client_id, str) or not _CLIENT_ID.match(client_id)
        or client_id.startswith(RESERVED_CLIENT_ID_PREFIXES)
    ):
        raise ServiceError("bad_client_id", _("消息编号不正确，请刷新页面后重试。"))
    return client_id


# --- storing messages -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message waiting to be stored. At most one of visitor_id / member_id is set;
    neither means the coach's assistant (an FAQ auto-answer, conversation_id required)."""

    shop_id: int
    client_id: str
    text: str
    image: str = ""
    visitor_id: int | None = None
    member_id: int | None = None
    conversation_id: int | None = None
    # The agent saw the pre-send check's high-severity findings and sends anyway.
    confirm: bool = False


@dataclass(frozen=True, slots=True)
class Stored:
    client_id: str
    message: dict[str, Any] | None = None
    error: ServiceError | None = None


def store_messages(items: list[Outgoing]) -> tuple[list[Stored], list[Event]]:
    """Store a batch of messages in one transaction; idempotent per (conversation, client_id).

    Used for a single message too. Broadcast the returned events after commit.
    """
    now = timezone.now()
    # Optimistic first: almost every message is new, so skip the lookup of earlier
    # copies and let the unique (conversation, client_id) constraint catch a retry;
    # then the whole batch is redone with the lookup. Nothing half-stored either way.
    try:
        return _store_batch(items, now, look_up_copies=False)
    except IntegrityError:
        return _store_batch(items, now, look_up_copies=True)


def _store_batch(
    items: list[Outgoing], now: dt.datetime, *, look_up_copies: bool
) -> tuple[list[Stored], list[Event]]:
    batch = _Batch(now)
    with transaction.atomic():
        batch.prefetch(items, look_up_copies=look_up_copies)
        results = [batch.store(item) for item in items]
        batch.flush()
    return [r.resolve() if isinstance(r, _Pending) else r for r in results], batch.events


class _Pending:
    """A stored result whose message row gets its id at flush time."""

    def __init__(self, client_id: str, message: Message, author: str | None) -> None:
        self.client_id, self.message, self.author = client_id, message, author

    def resolve(self) -> Stored:
        shaped = getattr(self.message, "wire", None) or wire.message_dict(self.message, self.author)
        return Stored(self.client_id, shaped)


class _Batch:
    """Numbers and inserts messages in bulk: one lock, one insert, one update per batch."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self.convs: dict[int, Conversation] = {}
        self.dirty: set[int] = set()
        self.new_messages: list[tuple[Message, str | None]] = []
        self.events: list[Event] = []
        self.members: dict[int, Membership] = {}
        self.known: dict[tuple[int, str], Message] = {}
        self.new_keys: dict[tuple[int, str], Message] = {}
        # Who held a conversation before it moved in this batch: they must hear it left.
        self.previous: dict[int, int] = {}
        self.prefetched: set[int] = set()
        # Agent replies sent despite a high-severity finding: flagged once they have ids.
        self.flagged: list[tuple[Message, int, list[dict[str, Any]]]] = []

    def prefetch(self, items: list[Outgoing], *, look_up_copies: bool = True) -> None:
        """Lock and load the batch's known conversations (and earlier copies) at once."""
        conv_ids = {i.conversation_id for i in items if i.conversation_id is not None}
        if not conv_ids:
            return
        for conv in _locked_conversations().filter(id__in=conv_ids):
            self.convs[conv.id] = conv
        self.prefetched = conv_ids
        if not look_up_copies:
            return
        self.known = {
            (m.conversation_id, m.client_id): m
            for m in Message.objects.select_related("author").filter(
                conversation_id__in=conv_ids, client_id__in={i.client_id for i in items}
            )
        }

    # Loading is per item but cached, so a batch of many messages to the same
    # conversations reads each conversation once.
    def _conversation(self, conv_id: int) -> Conversation | None:
        if conv_id not in self.convs:
            conv = _locked_conversations().filter(id=conv_id).first()
            if conv is None:
                return None
            self.convs[conv_id] = conv
        return self.convs[conv_id]

    def _visitor_conversation(self, item: Outgoing) -> Conversation:
        if item.conversation_id is not None:
            conv = self._conversation(item.conversation_id)
            if conv is not None and conv.visitor_id == item.visitor_id:
                return conv
        conv_id = (
            Conversation.objects.filter(visitor_id=item.visitor_id, shop_id=item.shop_id)
            .order_by("-id").values_list("id", flat=True).first()
        )
        if conv_id is not None:
            conv = self._conversation(conv_id)
            assert conv is not None
            return conv
        conv = Conversation.objects.create(
            shop_id=item.shop_id, visitor_id=item.visitor_id, status=Status.WAITING,
            waiting_since=self.now,
        )
        ConversationEvent.objects.create(conversation=conv, kind=EventKind.CREATED)
        conv = Conversation.objects.select_related("visitor", "assignee").get(id=conv.id)
        self.convs[conv.id] = conv
        return conv

    def _member(self, member_id: int) -> Membership:
        if member_id not in self.members:
            self.members[member_id] = Membership.objects.select_related("shop").get(id=member_id)
        member = self.members[member_id]
        if not member.is_active:  # an open workbench outlives a deactivation: check each time
            raise Forbidden("inactive", _("您的账号已被停用，请联系店主。"))
        return member

    def store(self, item: Outgoing) -> Stored | _Pending:
        try:
            if item.visitor_id is not None:
                conv = self._visitor_conversation(item)
            elif item.member_id is not None:
                conv = self._agent_conversation(item)
            else:
                conv = self._assistant_conversation(item)
        except ServiceError as exc:
            return Stored(item.client_id, error=exc)
        existing = self._existing(conv, item.client_id)
        if existing is not None:
            return Stored(item.client_id, wire.message_dict(existing))
        if item.visitor_id is not None:
            pending = self._append(conv, item.client_id, SenderKind.CUSTOMER, item.text, item.image)
            self._after_customer_message(conv)
        elif item.member_id is not None:
            try:
                findings = presend.review_reply(
                    shop_id=conv.shop_id, text=item.text, confirm=item.confirm
                ) if item.text else []
            except ServiceError as exc:
                return Stored(item.client_id, error=exc)
            member = self._member(item.member_id)
            if conv.assignee_id is None:  # replying in a waiting conversation claims it
                self._assign(conv, member, EventKind.CLAIMED, actor=member)
            pending = self._append(
                conv, item.client_id, SenderKind.AGENT, item.text, item.image, author=member
            )
            if findings:
                self.flagged.append((pending.message, member.id, findings))
        else:
            pending = self._append(conv, item.client_id, SenderKind.ASSISTANT, item.text)
        return pending

    def _assistant_conversation(self, item: Outgoing) -> Conversation:
        conv = self._conversation(item.conversation_id) if item.conversation_id else None
        if conv is None or conv.shop_id != item.shop_id:
            raise NotFound("no_conversation", _("找不到这个会话。"))
        if conv.status == Status.CLOSED:  # closed while the answer was being found
            raise ServiceError("closed", _("会话已结束。"))
        return conv

    def _agent_conversation(self, item: Outgoing) -> Conversation:
        member = self._member(item.member_id)  # type: ignore[arg-type]
        conv = self._conversation(item.conversation_id) if item.conversation_id else None
        if conv is None or conv.shop_id != member.shop_id:
            raise NotFound("no_conversation", _("找不到这个会话。"))
        if conv.status == Status.CLOSED:
            raise ServiceError("closed", _("会话已结束，顾客再次发消息时会重新打开。"))
        if conv.assignee_id is not None and conv.assignee_id != member.id and not member.sees_all:
            raise Forbidden("not_yours", _("这个会话由其他同事接待，请先转接给您。"))
        return conv

    def _existing(self, conv: Conversation, client_id: str) -> Message | None:
        if (conv.id, client_id) in self.new_keys:
            return self.new_keys[(conv.id, client_id)]
        if conv.id in self.prefetched:
            return self.known.get((conv.id, client_id))
        return (
            Message.objects.select_related("author")
            .filter(conversation_id=conv.id, client_id=client_id).first()
        )

    def _append(
        self, conv: Conversation, client_id: str, sender: str, text: str, image: str = "",
        author: Membership | None = None,
    ) -> _Pending:
        conv.last_seq += 1
        message = Message(
            shop_id=conv.shop_id, conversation_id=conv.id, seq=conv.last_seq,
            client_id=client_id, sender=sender, author=author, text=text, image=image,
            created_at=self.now,
        )
        conv.last_message_at = self.now
        conv.last_message_preview = (text or _("[图片]"))[:80]
        if sender == SenderKind.CUSTOMER:
            conv.last_customer_seq = conv.last_seq
            if conv.waiting_since is None:
                conv.waiting_since = self.now
        elif sender == SenderKind.AGENT:
            conv.waiting_since = None
            conv.agent_read_seq = conv.last_seq
        self.dirty.add(conv.id)
        author_name = author.display_name if author else None
        self.new_messages.append((message, author_name))
        self.new_keys[(conv.id, client_id)] = message
        return _Pending(client_id, message, author_name)

    def _system(self, conv: Conversation, text: str, tag: str) -> None:
        # Random, so nothing a client could have sent first can collide with it.
        self._append(conv, f"sys-{tag}-{uuid.uuid4().hex[:12]}", SenderKind.SYSTEM, text)

    def _assign(
        self, conv: Conversation, member: Membership, kind: str, *,
        actor: Membership | None = None, note: str = "",
    ) -> None:
        if conv.assignee_id is not None and conv.assignee_id != member.id:
            self.previous.setdefault(conv.id, conv.assignee_id)
        conv.assignee = member
        conv.status = Status.OPEN
        if kind == EventKind.TRANSFERRED and actor is not None:
            conv.handoff_from, conv.handoff_note = actor.display_name, note
        else:
            conv.handoff_from, conv.handoff_note = "", ""
        self.dirty.add(conv.id)
        ConversationEvent.objects.create(
            conversation=conv, kind=kind, actor=actor, target=member, note=note
        )
        self._system(conv, _("客服 %(name)s 为您服务～") % {"name": member.display_name}, "assign")

    def _after_customer_message(self, conv: Conversation) -> None:
        if conv.status == Status.CLOSED:
            conv.status, conv.assignee, conv.closed_at = Status.WAITING, None, None
            ConversationEvent.objects.create(conversation=conv, kind=EventKind.REOPENED)
        if conv.assignee_id is not None:
            return
        shop = conv.visitor.shop if conv.visitor_id else Shop.objects.get(id=conv.shop_id)
        online = list(
            shop_services.online_members(shop.id, self.now)
            .select_related("shop")
            .annotate(open_count=Count("conversations", filter=Q(conversations__status="open")))
            .order_by("open_count", "id")
        )
        free = [m for m in online if m.open_count < m.effective_capacity]
        if free and shop_services.is_open_now(shop, self.now):
            self._assign(conv, free[0], EventKind.ASSIGNED)
            return
        recent = conv.last_auto_reply_at and self.now - conv.last_auto_reply_at < AUTO_REPLY_GAP
        if recent:
            return
        if online and shop_services.is_open_now(shop, self.now):
            place = Conversation.objects.filter(
                shop_id=shop.id, status=Status.WAITING, waiting_since__lte=conv.waiting_since
            ).exclude(id=conv.id).count() + 1
            text = shop.busy_message or _("客服都在忙，您排在第{排队人数}位，请稍候～")
            text = text.replace("{排队人数}", str(place)).replace("{queue}", str(place))
            self._system(conv, text, "busy")
        else:
            text = shop.away_message or _("客服暂时不在，留言后我们会尽快回复您。")
            self._system(conv, text, "away")
        conv.last_auto_reply_at = self.now

    def flush(self) -> None:
        if self.new_messages:
            _insert_messages([m for m, _a in self.new_messages])
        presend.record_flags([
            (m.shop_id, m.id, member_id, findings) for m, member_id, findings in self.flagged
        ])
        if self.dirty:
            _save_conversations([self.convs[i] for i in sorted(self.dirty)])
        for message, author in self.new_messages:
            conv = self.convs[message.conversation_id]
            message.wire = wire.message_dict(message, author)  # type: ignore[attr-defined]
            self.events.append(Event(
                shop_id=conv.shop_id, kind="message", conversation_id=conv.id,
                frame={"type": "message", "message": message.wire},  # type: ignore[attr-defined]
                assignee_id=conv.assignee_id, waiting=conv.status == Status.WAITING,
            ))
        for conv_id in sorted(self.dirty):
            self.events.append(summary_event(self.convs[conv_id], self.previous.get(conv_id)))


def _locked_conversations():  # type: ignore[no-untyped-def]
    """Conversations about to change, locked, with only what storing and the list need."""
    return (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("visitor", "assignee")
        .defer("visitor__created_at", "assignee__last_seen_at", "assignee__online_sockets",
               "assignee__capacity", "assignee__is_active", "created_at")
    )


_MESSAGE_COLUMNS = (
    "shop", "conversation", "seq", "client_id", "sender", "author", "text", "image", "meta",
    "created_at",
)


def _insert_messages(messages: list[Message]) -> None:
    """One multi-row INSERT … RETURNING id; bulk_create compiles every field of every row,
    which was the writer's largest cost after the conversation update."""
    from django.db import connection

    fields = [Message._meta.get_field(name) for name in _MESSAGE_COLUMNS]
    quote = connection.ops.quote_name
    adapt = connection.ops.adapt_datetimefield_value
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    # SQLite allows 32,766 parameters a statement; stay well below in chunks.
    for start in range(0, len(messages), 500):
        chunk = messages[start:start + 500]
        params: list[Any] = []
        for message in chunk:
            params.extend((
                message.shop_id, message.conversation_id, message.seq, message.client_id,
                message.sender, message.author_id, message.text, message.image,
                fields[8].get_db_prep_save(message.meta, connection),
                adapt(message.created_at),
            ))
        sql = "INSERT INTO {} ({}) VALUES {} RETURNING {}".format(
            quote(Message._meta.db_table),
            ", ".join(quote(f.column) for f in fields),
            ", ".join([row_sql] * len(chunk)),
            quote("id"),
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            ids = [row[0] for row in cursor.fetchall()]
        for message, pk in zip(chunk, ids, strict=True):
            message.pk = message.id = pk
            message._state.adding = False


_CONVERSATION_STATE = (
    "last_seq", "last_message_at", "last_message_preview", "last_customer_seq", "agent_read_seq",
    "waiting_since", "last_auto_reply_at", "status", "assignee", "closed_at", "handoff_from",
    "handoff_note",
)


def _save_conversations(convs: list[Conversation]) -> None:
    """One prepared UPDATE run for many rows: Django's bulk_update builds a CASE per
    field per row, which profiling showed to be most of the writer's time."""
    from django.db import connection

    fields = [Conversation._meta.get_field(name) for name in _CONVERSATION_STATE]
    quote = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s".format(
        quote(Conversation._meta.db_table),
        ", ".join(f"{quote(f.column)} = %s" for f in fields),
        quote("id"),
    )
    # Only datetimes need adapting for the driver; generic get_db_prep_save per value
    # was a tenth of the writer's time.
    adapt = connection.ops.adapt_datetimefield_value
    prepare = [adapt if isinstance(f, models.DateTimeField) else None for f in fields]
    rows = [
        [
            convert(value) if convert is not None and value is not None else value
            for convert, value in zip(prepare, (getattr(conv, f.attname) for f in fields),
                                      strict=True)
        ] + [conv.id]
        for conv in convs
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def summary_event(conv: Conversation, previous_assignee_id: int | None = None) -> Event:
    return Event(
        shop_id=conv.shop_id, kind="conversation", conversation_id=conv.id,
        frame={"type": "conversation", "conversation": wire.conversation_dict(conv)},
        assignee_id=conv.assignee_id, waiting=conv.status == Status.WAITING,
        previous_assignee_id=previous_assignee_id,
    )


def publish_on_commit(events: Iterable[Event]) -> None:
    from kefu.realtime import hub

    events = list(events)
    transaction.on_commit(lambda: hub.publish_from_sync(events))


# --- reading --------------------------------------------------------------------------------


def history(*, conversation_id: int, after_seq: int, limit: int = HISTORY_PAGE) -> list[dict]:
    """Messages after `after_seq`, oldest first (the caller has checked access)."""
    messages = (
        Message.objects.filter(conversation_id=conversation_id, seq__gt=max(0, after_seq))
        .select_related("author").order_by("seq")[:limit]
    )
    return [wire.message_dict(m) for m in messages]


def get_conversation_for(*, actor: Membership, conversation_id: int) -> Conversation:
    """A conversation of the actor's shop, or NotFound (never another shop's)."""
    conv = (
        Conversation.objects.select_related("visitor", "assignee")
        .filter(id=conversation_id, shop_id=actor.shop_id).first()
    )
    if conv is None:
        raise NotFound("no_conversation", _("找不到这个会话。"))
    return conv


def conversations_for(*, actor: Membership, closed_limit: int = 50) -> list[Conversation]:
    """The workbench list: everything waiting or open, and the most recently closed."""
    base = Conversation.objects.filter(shop_id=actor.shop_id).select_related("visitor", "assignee")
    live = list(base.exclude(status=Status.CLOSED).order_by("-last_message_at", "-id")[:500])
    closed = list(base.filter(status=Status.CLOSED).order_by("-closed_at")[:closed_limit])
    return live + closed


# --- agent actions (HTTP) -------------------------------------------------------------------


def _locked(actor: Membership, conversation_id: int) -> Conversation:
    conv = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("visitor", "assignee")
        .filter(id=conversation_id, shop_id=actor.shop_id).first()
    )
    if conv is None:
        raise NotFound("no_conversation", _("找不到这个会话。"))
    return conv


def _require_handler(actor: Membership, conv: Conversation) -> None:
    if conv.assignee_id != actor.id and not actor.sees_all:
        raise Forbidden("not_yours", _("这个会话由其他同事接待。"))


@transaction.atomic
def claim_conversation(*, actor: Membership, conversation_id: int) -> Conversation:
    """Take a waiting conversation."""
    conv = _locked(actor, conversation_id)
    if conv.status == Status.CLOSED:
        raise ServiceError("closed", _("会话已结束。"))
    if conv.assignee_id == actor.id:
        return conv
    if conv.assignee_id is not None and not actor.sees_all:
        raise ServiceError("taken", _("这个会话已被 %(n)s 接待。") % {"n": conv.assignee.display_name})
    batch = _Batch(timezone.now())
    batch.convs[conv.id] = conv
    batch._assign(conv, actor, EventKind.CLAIMED, actor=actor)
    batch.flush()
    publish_on_commit(batch.events)
    return conv


@transaction.atomic
def transfer_conversation(
    *, actor: Membership, conversation_id: int, to_member_id: int, note: str = ""
) -> Conversation:
    """Hand a conversation to a colleague, with a note for them."""
    conv = _locked(actor, conversation_id)
    _require_handler(actor, conv) if conv.assignee_id else None
    if conv.status == Status.CLOSED:
        raise ServiceError("closed", _("会话已结束，无法转接。"))
    target = shop_services.get_member(actor=actor, member_id=to_member_id)
    if not target.is_active:
        raise ServiceError("inactive", _("这位同事的账号已停用。"))
    if target.id == conv.assignee_id:
        raise ServiceError("same", _("会话已经由这位同事接待。"))
    batch = _Batch(timezone.now())
    batch.convs[conv.id] = conv
    batch._assign(conv, target, EventKind.TRANSFERRED, actor=actor, note=note.strip()[:200])
    batch.flush()
    publish_on_commit(batch.events)
    return conv


@transaction.atomic
def close_conversation(*, actor: Membership, conversation_id: int) -> Conversation:
    """End a conversation; the next waiting one may go to the freed agent."""
    conv = _locked(actor, conversation_id)
    _require_handler(actor, conv)
    if conv.status == Status.CLOSED:
        return conv
    now = timezone.now()
    batch = _Batch(now)
    batch.convs[conv.id] = conv
    conv.status, conv.closed_at, conv.waiting_since = Status.CLOSED, now, None
    batch.dirty.add(conv.id)
    ConversationEvent.objects.create(conversation=conv, kind=EventKind.CLOSED, actor=actor)
    batch._system(conv, _("本次服务已结束，有需要随时找我们哦～"), "close")
    batch.flush()
    publish_on_commit(batch.events)
    return conv


def mark_read(*, actor: Membership, conversation_id: int, seq: int) -> Event | None:
    """The agent has read up to `seq`; returns the summary event to publish, if it changed."""
    conv = get_conversation_for(actor=actor, conversation_id=conversation_id)
    seq = min(max(0, int(seq)), conv.last_seq)
    updated = Conversation.objects.filter(id=conv.id, agent_read_seq__lt=seq).update(
        agent_read_seq=seq
    )
    if not updated:
        return None
    conv.agent_read_seq = seq
    return summary_event(conv)


# --- flood control --------------------------------------------------------------------------

_recent_sends: dict[int, list[float]] = {}


def check_visitor_rate(visitor_id: int, now: float) -> None:
    """Refuse a visitor's message past KEFU_VISITOR_RATE (count per seconds), per process."""
    count, window = settings.KEFU_VISITOR_RATE
    times = [t for t in _recent_sends.get(visitor_id, ()) if now - t < window]
    if len(times) >= count:
        _recent_sends[visitor_id] = times
        raise ServiceError("rate_limited", _("您发得太快啦，请稍等几秒再发～"))
    times.append(now)
    _recent_sends[visitor_id] = times
    if len(_recent_sends) > 100_000:  # forget idle visitors so the table stays small
        for key in [k for k, v in _recent_sends.items() if not v or now - v[-1] > window]:
            del _recent_sends[key]


# --- presence and the queue -----------------------------------------------------------------


def agent_connected(*, member_id: int) -> list[Event]:
    """A workbench opened: count the socket, then hand waiting chats to free agents."""
    from django.db.models import F

    now = timezone.now()
    Membership.objects.filter(id=member_id).update(
        online_sockets=F("online_sockets") + 1, last_seen_at=now
    )
    shop_id = Membership.objects.values_list("shop_id", flat=True).get(id=member_id)
    return assign_waiting(shop_id=shop_id)


def reset_presence() -> None:
    """A lone server starting up: nobody can still be connected to it."""
    Membership.objects.filter(online_sockets__gt=0).update(online_sockets=0)


def agent_disconnected(*, member_id: int) -> None:
    from django.db.models import F

    Membership.objects.filter(id=member_id, online_sockets__gt=0).update(
        online_sockets=F("online_sockets") - 1
    )


def agents_seen(*, member_ids: Iterable[int]) -> None:
    """Heartbeat for the workbenches open in this process."""
    Membership.objects.filter(id__in=list(member_ids)).update(last_seen_at=timezone.now())


def release_conversations_of(*, member_id: int) -> None:
    """A member was deactivated: their open chats go back to the queue (then to whoever
    is free), published once the caller's transaction commits."""
    now = timezone.now()
    convs = list(
        Conversation.objects.select_for_update(of=("self",))
        .select_related("visitor", "assignee")
        .filter(assignee_id=member_id, status=Status.OPEN)
    )
    if not convs:
        return
    for conv in convs:
        conv.assignee, conv.status = None, Status.WAITING
        conv.waiting_since = conv.waiting_since or now
    _save_conversations(convs)
    events = [summary_event(conv, member_id) for conv in convs]
    shop_id = convs[0].shop_id
    transaction.on_commit(lambda: _publish_with_reassignment(events, shop_id))


def _publish_with_reassignment(events: list[Event], shop_id: int) -> None:
    from kefu.realtime import hub

    hub.publish_from_sync(events + assign_waiting(shop_id=shop_id))


def assign_waiting(*, shop_id: int) -> list[Event]:
    """Give waiting conversations, oldest first, to online agents with room; returns events."""
    now = timezone.now()
    with transaction.atomic():
        shop = Shop.objects.get(id=shop_id)
        if not shop_services.is_open_now(shop, now):
            return []
        batch = _Batch(now)
        waiting = list(
            Conversation.objects.select_for_update(of=("self",))
            .select_related("visitor", "assignee")
            .filter(shop_id=shop_id, status=Status.WAITING, assignee__isnull=True)
            .order_by("waiting_since", "id")[:200]
        )
        if not waiting:
            return []
        online = list(
            shop_services.online_members(shop_id, now).select_related("shop")
            .annotate(open_count=Count("conversations", filter=Q(conversations__status="open")))
        )
        for conv in waiting:
            free = [m for m in online if m.open_count < m.effective_capacity]
            if not free:
                break
            member = min(free, key=lambda m: (m.open_count, m.id))
            batch.convs[conv.id] = conv
            batch._assign(conv, member, EventKind.ASSIGNED)
            member.open_count += 1
        batch.flush()
    return batch.events
