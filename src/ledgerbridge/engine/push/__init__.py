"""The push pass: one company's due records carried to QuickBooks, in dependency order.

    report = sync_company(ledger, connection_id)

See docs/architecture.md ("The push pass"). Each record goes through `core.planner.plan`; the
step is carried out here. A write's `requestid` is stored and committed before the call and
reused when the write is settled after a crash or a lost answer. Connection-level failures stop
the pass without touching the records; record-level faults become the record's problem.

One module per stage; the stages are functions of the pass (`work.Pass`: the QuickBooks
client, what the planner sees, the report, the creates queued for a batch), and `work.Due` is
the record at hand:

    lease.py     sync_company: the company's lease, the keys, a fresh mirror, the rounds
    rounds.py    a round: each due record read, planned, and its step sent where it belongs
    steps.py     carrying out a step (a `match` over `core.planner.Step`)
    batch.py     creates queued and sent 30 to a batch request; a lost batch replayed whole
    singles.py   queued writes sent alone together: requestids stored together, outcomes after
    write.py     one write: requestid first, the call, 5010 re-applied or a conflict shown
    faults.py    a write that failed, by kind: the record's problem, later, or the pass stopped
    outcomes.py  what a step came to, stored: link, mirror, status, history and event together
    work.py      what the stages share: the pass, the record at hand, the report, and
                 `Pass.storing`, the one transaction a pass's conclusions are stored in
                 (only while the connection still has the pass's company)
    preview.py   what preflight says of one record now (reads only)
"""

from ledgerbridge.engine.push.batch import BATCH_SIZE
from ledgerbridge.engine.push.lease import MIRROR_FRESH, new_holder, sync_company
from ledgerbridge.engine.push.preview import preview
from ledgerbridge.engine.push.work import PassReport

__all__ = ["BATCH_SIZE", "MIRROR_FRESH", "PassReport", "new_holder", "preview", "sync_company"]
