"""The coach pipeline: every customer message is read after it was delivered.

The writer hands each committed batch's events to `analyzer.take()` (only with
settings.KEFU_COACH). That costs the event loop a scan of the batch and one
queue put; everything else runs in the analyzer's own thread, on whatever
queued while it was busy (so under load one transaction covers many messages):

1. read each customer text message (`kefu.assist.analyze` in a niced child process,
   `reader_process.py`; a shop's own model in this thread) with the conversation's
   previous three customer turns as context, kept in memory (no query; after a
   restart the first messages go without context);
2. store Message.meta["coach"] (one bulk update) and Conversation.mood;
3. publish `analysis` frames to agents, and the list summary when a mood changed;
4. FAQ auto-answer for shops that enabled it (`send_faq_answers`).

Analysis is best effort: the message has already reached everyone. When the
backlog passes MAX_BACKLOG the oldest waiting messages are skipped (logged) so a
flood cannot grow memory without bound; those messages simply carry no chips.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import close_old_connections, connection, transaction

from kefu.assist import analyze
from kefu.chat import services as chat_services
from kefu.chat.models import Conversation, Message, SenderKind, Status
from kefu.coach import autoanswer
from kefu.coach.reader_process import ReaderPool
from kefu.coach.reading import classifier_for_shop, coach_dict, mood_for
from kefu.realtime.events import Event
from kefu.realtime.hub import hub

log = logging.getLogger(__name__)
T = TypeVar("T")

CONTEXT_TURNS = 3
CONTEXT_CONVERSATIONS = 20_000  # conversations whose recent turns are remembered
MAX_BACKLOG = 20_000
MAX_BATCH = 128  # messages a writes slot on the writer thread covers: keeps its batches moving


@dataclass(frozen=True, slots=True)
class Job:
    """One stored customer message waiting to be read."""

    shop_id: int
    conversation_id: int
    message_id: int
    seq: int
    text: str
    meta: dict[str, Any]


def jobs_from_events(events: Iterable[Event]) -> list[Job]:
    """The customer text messages among a batch's events (images have nothing to read)."""
    jobs = []
    for event in events:
        if event.kind != "message":
            continue
        message = event.frame["message"]
        if message["sender"] != SenderKind.CUSTOMER or not message["text"]:
            continue
        jobs.append(
            Job(
                event.shop_id,
                event.conversation_id,
                message["id"],
                message["seq"],
                message["text"],
                dict(message.get("meta") or {}),
            )
        )
    return jobs


def analysis_event(conv: Conversation, message_id: int, seq: int, coach: dict[str, Any]) -> Event:
    """The `analysis` frame, routed to the agents who see the conversation's messages."""
    return Event(
        shop_id=conv.shop_id,
        kind="analysis",
        conversation_id=conv.id,
        frame={
            "type": "analysis",
            "conversation": conv.id,
            "message_id": message_id,
            "seq": seq,
            "coach": coach,
        },
        assignee_id=conv.assignee_id,
        waiting=conv.status == Status.WAITING,
    )


class Analyzer:
    def __init__(self) -> None:
        self.inbox: queue.SimpleQueue[list[Job]] = queue.SimpleQueue()
        self.pending = 0  # messages taken and not yet handled (guarded by count_lock)
        self.count_lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.start_lock = threading.Lock()
        self.recent: OrderedDict[int, deque[str]] = OrderedDict()
        self.idle = threading.Event()
        self.idle.set()
        self.process = ReaderPool()
        self.db_executor: Executor | None = None

    # --- the event-loop side: cheap ---------------------------------------------------------
    def take(self, events: Iterable[Event], db_executor: Executor | None = None) -> None:
        """Queue a committed batch's customer messages for reading.

        `db_executor`: the writer's one thread. The coach's writes run there, between
        the writer's batches, so SQLite never makes the writer wait on our lock (its
        busy handler sleeps in steps of up to 100 ms: that is what delivery would feel).
        """
        if db_executor is not None:
            self.db_executor = db_executor
        jobs = jobs_from_events(events)
        if not jobs:
            return
        self._ensure_thread()
        with self.count_lock:
            self.pending += len(jobs)
            self.idle.clear()
        self.inbox.put(jobs)

    def _ensure_thread(self) -> None:
        if self.thread is None or not self.thread.is_alive():
            with self.start_lock:
                if self.thread is None or not self.thread.is_alive():
                    self.thread = threading.Thread(target=self._run, name="kefu-coach", daemon=True)
                    self.thread.start()

    def wait_idle(self, timeout: float) -> bool:
        """Tests and benchmarks: wait until everything queued so far was handled."""
        return self.idle.wait(timeout)

    # --- the analyzer thread ----------------------------------------------------------------
    def _run(self) -> None:
        while True:
            jobs = self.inbox.get()
            while len(jobs) < MAX_BATCH:
                try:
                    jobs.extend(self.inbox.get_nowait())
                except queue.Empty:
                    break
            taken = len(jobs)
            if self.pending > MAX_BACKLOG:
                log.warning("coach backlog %d: skipping %d messages", self.pending, taken)
                jobs = []
            try:
                close_old_connections()
                self.handle(jobs, self.db_executor)
            except Exception:  # noqa: BLE001 - the thread must survive a bad batch; logged
                log.exception("coach analysis failed for %d messages", taken)
            with self.count_lock:
                self.pending -= taken
                if self.pending == 0:
                    self.idle.set()

    def handle(self, jobs: list[Job], db_executor: Executor | None = None) -> None:
        """Read, store, publish and auto-answer one batch. Writes run on `db_executor`
        (the writer's thread) when given, else here (tests call this directly)."""
        if not jobs:
            return

        def on_writer(fn: Callable[..., T], *args: Any) -> T:
            if db_executor is None:
                return fn(*args)
            return db_executor.submit(fn, *args).result()

        coaches = self._read_all(jobs)
        events, convs = on_writer(store_readings, jobs, coaches)
        hub.publish_from_sync(events)
        autoanswer.send_faq_answers(
            jobs,
            coaches,
            convs,
            store=lambda items: on_writer(chat_services.store_messages, items),
        )

    def _context(self, job: Job) -> tuple[str, ...]:
        """The conversation's previous customer turns (then remembers this one)."""
        turns = self.recent.get(job.conversation_id)
        if turns is None:
            turns = self.recent[job.conversation_id] = deque(maxlen=CONTEXT_TURNS)
            if len(self.recent) > CONTEXT_CONVERSATIONS:
                self.recent.popitem(last=False)
        else:
            self.recent.move_to_end(job.conversation_id)
        context = tuple(turns)
        turns.append(job.text[:300])  # context needs the gist; memory stays bounded
        return context

    def _read_all(self, jobs: list[Job]) -> list[dict[str, Any]]:
        """Built-in model: in the reader process; a shop's own model: here (it is rare)."""
        contexts = [self._context(job) for job in jobs]
        readers = {shop_id: classifier_for_shop(shop_id) for shop_id in {j.shop_id for j in jobs}}
        coaches: list[dict[str, Any] | None] = [None] * len(jobs)
        builtin = [i for i, job in enumerate(jobs) if readers[job.shop_id] is None]
        read = self.process.read([(jobs[i].text, contexts[i]) for i in builtin])
        if read is not None:
            for i, coach in zip(builtin, read, strict=True):
                coaches[i] = coach
        for i, job in enumerate(jobs):
            if coaches[i] is None:
                reader = readers[job.shop_id]
                analysis = (
                    reader(job.text, contexts[i]) if reader else analyze(job.text, contexts[i])
                )
                coaches[i] = coach_dict(analysis)
                time.sleep(0)  # in-thread: hand the GIL back to the event loop now and then
        return coaches  # type: ignore[return-value]


def store_readings(
    jobs: list[Job], coaches: list[dict[str, Any]]
) -> tuple[list[Event], dict[int, Conversation]]:
    """Store meta["coach"] and moods in one transaction; the events to publish after commit."""
    with transaction.atomic():
        convs = {
            c.id: c
            for c in Conversation.objects.select_related("visitor", "assignee", "shop").filter(
                id__in={job.conversation_id for job in jobs}
            )
        }
        for job, coach in zip(jobs, coaches, strict=True):
            job.meta["coach"] = coach
        _save_meta(jobs)
        latest: dict[int, tuple[int, dict[str, Any]]] = {}
        for job, coach in zip(jobs, coaches, strict=True):
            if job.conversation_id not in latest or job.seq > latest[job.conversation_id][0]:
                latest[job.conversation_id] = (job.seq, coach)
        changed = []
        for conv_id, (seq, coach) in latest.items():
            conv = convs.get(conv_id)
            # Only the conversation's newest customer message speaks for its mood.
            if conv is None or seq < conv.last_customer_seq:
                continue
            mood = mood_for(coach["emotion"])
            if conv.mood != mood:
                conv.mood = mood
                changed.append(conv)
        if changed:
            Conversation.objects.bulk_update(changed, ["mood"])
    events = [
        analysis_event(convs[job.conversation_id], job.message_id, job.seq, coach)
        for job, coach in zip(jobs, coaches, strict=True)
        if job.conversation_id in convs
    ]
    events += [chat_services.summary_event(conv) for conv in changed]
    return events, convs


def _save_meta(jobs: list[Job]) -> None:
    """One prepared UPDATE run for the batch: bulk_update builds a CASE per row, which
    costs the single SQLite writer lock far longer than this does."""
    field = Message._meta.get_field("meta")
    sql = "UPDATE {} SET {} = %s WHERE {} = %s".format(
        connection.ops.quote_name(Message._meta.db_table),
        connection.ops.quote_name(field.column),
        connection.ops.quote_name("id"),
    )
    rows = [(field.get_db_prep_save(job.meta, connection), job.message_id) for job in jobs]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


analyzer = Analyzer()
